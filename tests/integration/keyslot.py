"""Key -> slot -> shard, computed the way Tessera (and Redis Cluster) does it.

slot  = CRC16/XMODEM(hash part of key) mod 16384, where the hash part is the
        text between the first '{' and the next '}' when that is non-empty,
        else the whole key (CLUSTER KEYSLOT gives the same answer);
shard = slot * nshards // 16384, so each shard owns one contiguous slot range.

Tests use this to pick keys that land on a chosen shard, so that cross-shard
paths are exercised on purpose rather than by luck.
"""

SLOT_COUNT = 16384


def _make_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _make_table()


def _as_bytes(key):
    if isinstance(key, str):
        return key.encode()
    if isinstance(key, int):
        return str(key).encode()
    return bytes(key)


def crc16(data):
    crc = 0
    for byte in _as_bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[(crc >> 8) ^ byte]
    return crc


def hash_part(key):
    key = _as_bytes(key)
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key


def key_slot(key):
    return crc16(hash_part(key)) % SLOT_COUNT


def shard_of(key, nshards):
    return key_slot(key) * nshards // SLOT_COUNT


def keys_on_shard(shard, nshards, count, prefix="key"):
    """`count` distinct str keys "<prefix>:<n>" that live on `shard`.

    Deterministic: the same arguments give the same keys, so a failure names
    keys one can replay by hand with redis-cli.
    """
    if not 0 <= shard < nshards:
        raise ValueError("shard %d out of range for %d shards" % (shard, nshards))
    found = []
    n = 0
    # Each shard owns about 1/nshards of the slots, so this ends quickly; the
    # bound only guards against a broken hash.
    limit = count * nshards * 100 + 1000
    while len(found) < count:
        if n > limit:
            raise RuntimeError("could not find %d keys on shard %d/%d" % (count, shard, nshards))
        key = "%s:%d" % (prefix, n)
        if shard_of(key, nshards) == shard:
            found.append(key)
        n += 1
    return found


def key_on_shard(shard, nshards, prefix="key"):
    return keys_on_shard(shard, nshards, 1, prefix)[0]


def split_count(nshards):
    """How many shards to spread test keys over: the server's count, but at
    least 2, so that with one shard (or against redis-server) the same keys
    still come from both halves of the slot space."""
    return max(2, nshards)
