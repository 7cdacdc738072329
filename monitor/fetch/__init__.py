"""Fetching watched pages: policy, client, content handling, pinned connections.

- :mod:`monitor.fetch.options` per-source settings (``FetchOptions``) and their one set of defaults
- :mod:`monitor.fetch.policy`  what may be fetched and recorded (SSRF, credentials, secrets): pure
- :mod:`monitor.fetch.net`     connections pinned to vetted addresses (DNS-rebinding safe)
- :mod:`monitor.fetch.content` bounded decompression, content types, charset decoding: pure bytes
- :mod:`monitor.fetch.client`  the :class:`~monitor.fetch.client.Fetcher` that applies them

Nothing is re-exported here on purpose: ``monitor.config`` imports ``monitor.fetch.options``,
and that must not pull httpx into every process that reads the config. Fetching knows no store
(import-linter contract): results go back to the caller, which records them.
"""
