"""Password rules beyond Django's own (AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotOnlyWhitespaceValidator:
    """Refuse a password of nothing but whitespace (spaces, tabs, no-break or
    other Unicode spaces): long enough, and trivially guessed."""

    def validate(self, password, user=None):
        if password and not password.strip():
            raise ValidationError(
                _("Your password cannot be only spaces."), code="password_only_whitespace"
            )

    def get_help_text(self):
        return _("Your password cannot be only spaces.")
