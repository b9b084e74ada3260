"""Every write to teams: keyword-only, actor first, one transaction, audited, published.

Modules: ``details`` (contact and patch), ``proposals`` (consent decisions),
``effects`` (what adopted decisions do, one kind each), ``reminders``,
``credentials`` (API tokens, sessions, what a password change ends).
Callers import the module, never a name from this package.
"""
