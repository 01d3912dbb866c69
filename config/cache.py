"""Django's Redis cache, reusing one redis-py client per connection pool.

Django builds a new ``redis.Redis`` object for every cache operation, and redis-py fills a
table of ~170 response callbacks in each constructor: about a quarter of a millisecond per
operation, two to four operations per questionnaire request (rate limit, session cache), which
the load test's profile showed at 4 % of a step. The client is thread-safe (the pool hands out
connections), so one per pool is enough.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class ReusingRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}  # pool id -> client; the pools live as long as self

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
