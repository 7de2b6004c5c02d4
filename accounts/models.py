from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. Agency and personal accounts, roles and scopes come with the account model."""
