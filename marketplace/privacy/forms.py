from django import forms
from django.utils.translation import gettext_lazy as _

CONFIRM_WORD = "DELETE"


class AccountDeleteForm(forms.Form):
    """The last step before an account's deletion: the owner types DELETE or
    their email address, and their password (an account without one has just
    confirmed it is them through allauth's reauthentication instead)."""

    confirm = forms.CharField(
        label=_("Type DELETE or your email address"),
        max_length=254,
        help_text=_("This cannot be undone."),
    )
    password = forms.CharField(
        label=_("Your password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != CONFIRM_WORD and value.casefold() != self.user.email.casefold():
            raise forms.ValidationError(_("Type DELETE, in capitals, or your email address."))
        return value
