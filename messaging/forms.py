"""The message box of a transaction's thread. message_send owns the rules
(empty, too long, masking); the form only gives the browser the same limit."""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            _(
                "Email addresses, phone numbers and payment links are hidden: keep the "
                "conversation and the payment on Encore, where your money is protected."
            )
        ),
        error_messages={"required": _("Write a message first.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read at request time, so the setting can change without a restart of the form class.
        limit = settings.MESSAGE_MAX_LENGTH
        field = self.fields["body"]
        field.max_length = limit
        field.validators = [MaxLengthValidator(limit)]
        field.widget.attrs["maxlength"] = str(limit)
        field.error_messages["max_length"] = gettext(
            "A message can be at most %(max_length)s characters."
        ) % {"max_length": limit}
