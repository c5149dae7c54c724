"""The exact bucket index: key vectors -> codes (:mod:`.codes`) -> slots (:mod:`.stores`).

:mod:`.probing` holds the one linear-probing table the hashed stores share;
:mod:`.index` holds :class:`BucketIndex`, which picks a coding and a store by
the keys' range and delegates to them.
"""

from .codes import CODE_LIMIT, MixedRadix
from .index import DIRECT_LIMIT, BucketIndex, TableOffsets
from .stores import ARRAY_LIMIT, ArrayStore, DirectStore, HashStore, RowStore

__all__ = [
    "ARRAY_LIMIT",
    "CODE_LIMIT",
    "DIRECT_LIMIT",
    "ArrayStore",
    "BucketIndex",
    "DirectStore",
    "HashStore",
    "MixedRadix",
    "RowStore",
    "TableOffsets",
]
