"""HTTP routes of the sandbox API, one module per endpoint family."""
