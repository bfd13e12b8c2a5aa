"""Facts the webhook engine announces to whoever listens (the kernel imports no app, so it cannot
tell people itself). ``endpoint_disabled`` is sent inside the transaction that disabled the
endpoint, so a listener's writes (accounts' notification to the organization's admins) commit
or roll back with it."""

from django.dispatch import Signal

#: sender=WebhookEndpoint, endpoint=<WebhookEndpoint>, reason=<str, a sentence for people>
endpoint_disabled = Signal()
