"""Django integration (optional extra `hotelmate-rt[django]`): on_commit deferral and the auth view.

Import the submodules directly (`hotelmate_rt.django.views`, `hotelmate_rt.django.transactions`);
this package itself imports nothing from Django so the core works without it.
"""
