"""Service accounts: machines that call the API for one organization (issue 13, item 8).

``services`` (create, rename, disable, enable, issue tokens; the actor a service account's request
acts as), ``selectors`` (reads), ``api`` (``/api/v1/service-accounts/``), ``views`` and ``forms``
(the pages under the organization's settings). Tokens themselves (rotation, revocation,
authentication) are ``accounts.services``' one token mechanism, shared with personal tokens.
"""
