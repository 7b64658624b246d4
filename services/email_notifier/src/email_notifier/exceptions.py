"""Errors the email-notifier raises."""


class NotifierError(Exception):
    """Root of every error the email-notifier raises."""


class DeliveryInProgress(NotifierError):
    """Another attempt holds the ledger lease for this key; RQ retries this one later."""


class PermanentDeliveryError(NotifierError):
    """Retrying cannot help (unknown template, bad recipient, a 5xx SMTP reply)."""


class UnknownTemplate(PermanentDeliveryError):
    """No template files exist under that name."""


class BadContext(PermanentDeliveryError):
    """The template needs a value the event did not carry."""


class InvalidRecipient(PermanentDeliveryError):
    """The recipient is not a single plain email address."""
