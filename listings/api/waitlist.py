"""The waiting list API (built in listings/waitlist/)."""

urlpatterns = []
