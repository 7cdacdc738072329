"""Browsing the claimwatch history with Datasette.

``plugin`` is the Datasette plugin (entry point ``claimwatch``); ``metadata`` and ``queries``
build the metadata and canned queries it serves; ``render`` and ``pages`` hold the pure HTML
helpers; ``routes`` the request handlers; ``server`` starts a read-only Datasette for
``monitor serve``.
"""
