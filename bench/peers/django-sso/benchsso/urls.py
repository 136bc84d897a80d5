from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.urls import include, path
from simple_sso.sso_server.server import Server

sso_server = Server()

urlpatterns = [
    path("server/", include(sso_server.get_urls())),
    # The server redirects anonymous browsers here; the benchmark always arrives signed in.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("healthz", lambda request: HttpResponse("ok")),
]
