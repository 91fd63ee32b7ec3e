"""``pyarrow.compute`` as the engine calls it.

pyarrow-stubs type each compute function by overloads on concrete array classes (StringArray,
BooleanArray...), while the engine's columns are arrays of whatever type the records held, chosen
at run time; pyarrow itself checks the kinds when it is called. The functions are therefore used
through this untyped name.
"""

from __future__ import annotations

from typing import Any

import pyarrow.compute

pc: Any = pyarrow.compute
