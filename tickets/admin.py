from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import AuditedAdminMixin, LargeTableAdminMixin, confirm_then, money
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError, NotFound

from .barcodes import barcode_hash
from .models import Ticket, TicketInReview
from .selectors import ticket_face_value_median
from .services import (
    ticket_file_open_for_review,
    ticket_review_approve,
    ticket_review_reject,
)
from .views import ticket_file_response

REVIEW_REASONS = {
    Ticket.REVIEW_NO_BARCODE_IN_FILE: _(
        "No barcode could be read in the file: compare the file with the barcode typed "
        "(ending shown) and check it is a real ticket."
    ),
    Ticket.REVIEW_FACE_VALUE_HIGH: _(
        "The declared face value is far above the event's other tickets: check the price "
        "printed on the ticket."
    ),
}


class TicketAdmin(LargeTableAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Staff may correct how a ticket is described (type, section, row, seat).

    Its event, owner, face value, status and verification change only through
    the ticket services (upload, review, listing, sale, transfer), which keep the
    barcode and price rules. The barcode hash is never shown; the file lives in
    private storage with no public URL: staff open it through the review page,
    and each opening is audited.
    """

    list_display = (
        "__str__",
        "event",
        "owner",
        "ticket_type",
        "face_value_display",
        "status",
        "verification",
        "created_at",
    )
    list_filter = (
        "status",
        "verification",
        "barcode_source",
        "ticket_type",
        "event__category",
        "created_at",
    )
    search_fields = ("=barcode_last4", "event__name", "owner__email", "section")
    date_hierarchy = "created_at"
    list_select_related = ("event", "owner")
    fields = (
        "event",
        "owner",
        "ticket_type",
        ("section", "row", "seat"),
        "tier",
        "face_value",
        "original_fees",
        "status",
        "verification",
        "review_reasons_display",
        ("reviewed_by", "reviewed_at"),
        "review_note",
        "barcode_last4",
        "barcode_source",
        "stored_file",
        "file_sha256",
        "created_at",
        "updated_at",
    )
    # Everything shown but the seat description is read-only.
    readonly_fields = tuple(
        name
        for field in fields
        if field not in ("ticket_type", ("section", "row", "seat"))
        for name in (field if isinstance(field, tuple) else (field,))
    )
    actions = ("approve", "reject")

    def has_add_permission(self, request):
        return False  # tickets are uploaded by their owners (duplicate-barcode guard)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("face value"), ordering="face_value")
    def face_value_display(self, obj):
        return money(obj.face_value, obj.event.currency)

    @admin.display(description=_("file"))
    def stored_file(self, obj):
        if not obj.file.name:
            return "-"
        return format_html(
            '{} · <a href="{}">{}</a>',
            obj.file.name,
            reverse("admin:tickets_ticketinreview_review", args=[obj.pk]),
            _("review the ticket and open its file"),
        )

    @admin.display(description=_("why it waits for review"))
    def review_reasons_display(self, obj):
        return "; ".join(str(REVIEW_REASONS.get(r, r)) for r in obj.review_reasons) or "-"

    def get_search_results(self, request, queryset, search_term):
        """A full barcode typed in the search box finds its ticket through the hash."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            results |= queryset.filter(barcode_hash=barcode_hash(term))
        return results, may_have_duplicates

    # --- review: the actions on several tickets, as declared ---------------------

    @admin.action(description=_("Approve: the file is a genuine ticket at its declared face value"))
    def approve(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset.select_related("event", "owner"),
            title=_("Approve these tickets"),
            explanation=_(
                "Each ticket becomes verified at the face value it was uploaded with, and its "
                "owner may list it within the cap. To correct a face value, open the ticket's "
                "review page instead. The note is kept in the audit trail."
            ),
            perform=lambda ticket, note: ticket_review_approve(
                staff=request.user, ticket=ticket, note=note, ip_address=client_ip(request)
            ),
        )

    @admin.action(description=_("Reject: the file does not prove a genuine ticket"))
    def reject(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset.select_related("event", "owner"),
            title=_("Reject these tickets"),
            explanation=_(
                "Each ticket stays with its owner but can never be listed; they see that it "
                "was not accepted, with your note."
            ),
            perform=lambda ticket, note: ticket_review_reject(
                staff=request.user, ticket=ticket, note=note, ip_address=client_ip(request)
            ),
        )


admin.site.register(Ticket, TicketAdmin)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.RadioSelect
    )
    face_value = forms.DecimalField(
        label=_("Face value (approve)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("As printed on the ticket; leave as declared if it agrees."),
    )
    note = forms.CharField(
        label=_("Note (the owner sees it when rejected)"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        required=False,
    )


@admin.register(TicketInReview)
class TicketInReviewAdmin(TicketAdmin):
    """The review queue: uploads waiting for staff, oldest first.

    Each ticket's review page shows why it waits, the event's usual face value,
    and its file; staff approve (correcting the face value if the file says
    otherwise) or reject it, through the review services.
    """

    list_display = (
        "__str__",
        "event",
        "owner",
        "face_value_display",
        "review_reasons_display",
        "created_at",
        "review_link",
    )
    list_filter = ("barcode_source", "event__category", "created_at")
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(verification=Ticket.Verification.PENDING_REVIEW)

    @admin.display(description="")
    def review_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tickets_ticketinreview_review", args=[obj.pk]),
            _("Review"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:ticket_id>/review/",
                view(self.review_view),
                name="tickets_ticketinreview_review",
            ),
            path("<id:ticket_id>/file/", view(self.file_view), name="tickets_ticketinreview_file"),
            *super().get_urls(),
        ]

    def _ticket(self, request, ticket_id) -> Ticket:
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        # Any ticket, reviewed or not: the page shows the decision taken.
        ticket = (
            Ticket.objects.select_related("event", "owner", "tier").filter(pk=ticket_id).first()
        )
        if ticket is None:
            raise Http404("Ticket not found.")
        return ticket

    def review_view(self, request, ticket_id: int):
        ticket = self._ticket(request, ticket_id)
        form = ReviewForm(
            request.POST or None, initial={"decision": "approve", "face_value": ticket.face_value}
        )
        if request.method == "POST" and form.is_valid():
            if not self.has_change_permission(request, ticket):
                raise DjangoPermissionDenied
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    ticket_review_approve(
                        staff=request.user,
                        ticket=ticket,
                        face_value=data["face_value"],
                        note=data["note"],
                        ip_address=client_ip(request),
                    )
                else:
                    ticket_review_reject(
                        staff=request.user,
                        ticket=ticket,
                        note=data["note"],
                        ip_address=client_ip(request),
                    )
            except DomainError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                self.message_user(
                    request,
                    (
                        _("%(ticket)s: approved.")
                        if data["decision"] == "approve"
                        else _("%(ticket)s: rejected.")
                    )
                    % {"ticket": ticket},
                    messages.SUCCESS,
                )
                return redirect("admin:tickets_ticketinreview_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review %(ticket)s") % {"ticket": ticket},
            "opts": self.model._meta,
            "ticket": ticket,
            "form": form,
            "reasons": [REVIEW_REASONS.get(r, r) for r in ticket.review_reasons],
            "median": ticket_face_value_median(event=ticket.event, exclude_owner=ticket.owner),
            "tiers": list(ticket.event.price_tiers.all()),
            "file_url": reverse("admin:tickets_ticketinreview_file", args=[ticket.pk]),
        }
        return TemplateResponse(request, "admin/tickets/review.html", context)

    def file_view(self, request, ticket_id: int):
        """The ticket's file, to staff reviewing it (each opening is audited)."""
        ticket = self._ticket(request, ticket_id)
        try:
            opened = ticket_file_open_for_review(
                staff=request.user, ticket=ticket, ip_address=client_ip(request)
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        return ticket_file_response(*opened)
