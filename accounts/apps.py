from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Django's own login signals are the only hook into its login view; the handlers just record.
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import signals

        user_logged_in.connect(signals.on_login, dispatch_uid="accounts.on_login")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="accounts.on_login_failed")
