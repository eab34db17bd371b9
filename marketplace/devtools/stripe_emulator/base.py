"""What every addition shares: Stripe-shaped errors, objects exported with
exactly their documented fields, events, lists, and request handlers."""

import copy

from localstripe.errors import UserError
from localstripe.resources import (
    Event,
    List,
    StripeObject,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.server import get_post_data, json_response, unflatten_data
from localstripe.webhooks import schedule_webhook


class StripeError(UserError):
    """An API error with Stripe's body: {"error": {type, message, code, param...}}."""

    def __init__(self, status, message, *, type="invalid_request_error", code=None, **extra):
        super().__init__(status, message)
        error = {"type": type, "message": message}
        if code is not None:
            error["code"] = code
        error.update({key: value for key, value in extra.items() if value is not None})
        self.body = {"error": error}


def not_found(kind: str, id, param: str = "id") -> StripeError:
    """404 for the object of the path; 400 for an object a parameter names."""
    status = 404 if param == "id" else 400
    return StripeError(status, f"No such {kind}: '{id}'", code="resource_missing", param=param)


def missing(param: str) -> StripeError:
    message = f"Missing required param: {param}."
    return StripeError(400, message, code="parameter_missing", param=param)


def invalid(param: str, message: str, code: str = "parameter_invalid") -> StripeError:
    return StripeError(400, message, code=code, param=param)


def reject_unknown(params: dict, prefix: str = "") -> None:
    """Stripe refuses a parameter it does not know; so do we, by its name."""
    for name in params:
        full = f"{prefix}[{name}]" if prefix else name
        raise StripeError(
            400, f"Received unknown parameter: {full}", code="parameter_unknown", param=full
        )


def positive_int(value, param: str) -> int:
    number = try_convert_to_int(value)
    if type(number) is not int:
        raise invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
    if number <= 0:
        raise invalid(param, "This value must be greater than or equal to 1.")
    return number


def boolean(value, param: str, default: bool) -> bool:
    if value is None:
        return default
    result = try_convert_to_bool(value)
    if type(result) is not bool:
        raise invalid(param, f"Invalid boolean: {value}")
    return result


def text(value, param: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(param, f"Invalid string: {value!r}")
    return value


def merged_metadata(current: dict | None, update) -> dict:
    """Stripe's metadata update: keys are added or replaced, a key set to ''
    is removed, and metadata='' removes them all."""
    if update is None:
        return dict(current or {})
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise invalid("metadata", "Invalid metadata: must be an object.")
    result = dict(current or {})
    for key, value in update.items():
        if value == "":
            result.pop(key, None)
        else:
            result[key] = str(value)
    return result


def newest_first(kind: str) -> list:
    # The store keeps insertion order; Stripe lists newest first.
    return [value for key, value in reversed(store.items()) if key.startswith(kind + ":")]


def stripe_list(url: str, items: list, limit=None, starting_after=None) -> List:
    """A list object ({object: "list", data, has_more, url}) of `items`."""
    page = List(url, limit=limit, starting_after=starting_after)
    page._list = list(items)
    return page


class Emulated:
    """Mixin for our objects: `_export` gives exactly the fields in `_fields`
    (Stripe's documented ones), as a deep copy, so that an event keeps the
    object as it was when the event was made."""

    _fields: tuple = ()

    def _export(self, expand=None):
        full = StripeObject._export(self, expand=expand)
        return copy.deepcopy({key: full.get(key) for key in self._fields})

    @classmethod
    def _api_retrieve(cls, id):
        obj = store.get(f"{cls.object}:{id}")
        if obj is None:
            raise not_found(cls.object, id)
        return obj


class EmulatorEvent(Event):
    """Stripe's event: `account` on Connect events (those that happen on a
    connected account), `data.previous_attributes` on `*.updated` ones."""

    def __init__(self, type, data, account=None, previous_attributes=None):
        super().__init__(type, data)
        if account is not None:
            self.account = account
        if previous_attributes is not None:
            self.data["previous_attributes"] = previous_attributes


def send_event(type, obj, *, account=None, previous_attributes=None) -> None:
    """Record the event and deliver it to the registered webhooks (~1 s later)."""
    schedule_webhook(EmulatorEvent(type, obj, account, previous_attributes))


def changed(before: dict, after: dict) -> dict:
    """Stripe's previous_attributes: the old values of what changed, nested
    objects reduced to their changed keys."""
    result = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            result[key] = changed(old, new)
        else:
            result[key] = old
    return result


async def request_params(request) -> dict:
    """The request's parameters: the body for a POST, the query otherwise, and
    the path's own parts, as localstripe decodes them (`a[b]=c` -> nested)."""
    if request.method == "POST":
        params = await get_post_data(request) or {}
        params.update(unflatten_data(request.query) or {})
    else:
        params = unflatten_data(request.query) or {}
    params.update(request.match_info)
    return params


def api(func):
    """An aiohttp handler answering `func(**params)` exported as JSON."""

    async def handler(request):
        params = await request_params(request)
        expand = params.pop("expand", None)
        return json_response(func(**params)._export(expand=expand))

    return handler
