from __future__ import annotations

from django.contrib.auth.views import LoginView

from accounts.forms import ThrottledAuthenticationForm


class SignInView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
