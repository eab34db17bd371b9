"""What every HTML form does with a service's refusal."""

from marketplace.core.errors import DomainError


def form_error_from(form, exc: DomainError, *, message: str | None = None) -> None:
    """Show a service's refusal next to the field its details name, else above
    the form (STYLE.md, 3: the error carries the field, no message parsing)."""
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, message or exc.message)
