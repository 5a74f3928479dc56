"""Redis 7.0 error replies that many tests expect, written once."""
from resp_socket import RespError

E = RespError


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


def bad_expire(cmd):
    return E("ERR invalid expire time in '%s' command" % cmd)
