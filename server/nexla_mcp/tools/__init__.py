"""Tool faces, one module per toolset; :data:`ALL_TOOLS` is the registry table in listing order."""
