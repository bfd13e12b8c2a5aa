"""The start page of an organization (``/o/<slug>/``): a social manager's day at a glance.

Why an app of its own, on the top floor: the page reads from every app — what publishing sends
today and this week and what failed, what approvals waits for, which channels need
re-authorization, and later the inbox items assigned to me and analytics' KPI tiles. An app may
only import from the layers below it, and accounts (which served this page before) is the lowest
floor: it must not read publishing or approvals. Turning the page inside out instead (each upper
app registering a "panel" with accounts) would spread one page's order, permissions and query
budget over five apps and signals; here one module (``home/selectors.py``) composes it from each
app's selectors, in page order, and nothing imports ``home`` (an import-linter contract says so).
"""
