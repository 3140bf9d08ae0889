"""Django integration (optional extra `hotelmate-rt[django]`): outbox, relay, webhooks, auth view.

Add `"hotelmate_rt.django"` to INSTALLED_APPS (app label `hotelmate_rt`) for the outbox and
webhook-history tables, then `python manage.py migrate`. Import the submodules directly
(`hotelmate_rt.django.views`, `.webhooks`, `.outbox`, `.relay`, `.history`); this package itself
imports nothing from Django so the core works without it.
"""
