from django.urls import path

from lianxin.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("posts/<uuid:public_id>/switch/", views.post_switch, name="post_switch"),
    path("accounts/", views.user_list, name="user_list"),
    path("accounts/new/", views.user_create, name="user_create"),
    path("accounts/<uuid:public_id>/", views.user_detail, name="user_detail"),
    path("accounts/<uuid:public_id>/posts/new/", views.post_create, name="post_create"),
    path(
        "accounts/<uuid:public_id>/password-reset/",
        views.user_password_reset,
        name="user_password_reset",
    ),
    path("accounts/<uuid:public_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("accounts/<uuid:public_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("accounts/<uuid:public_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("accounts/posts/<uuid:public_id>/end/", views.post_end, name="post_end"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<uuid:public_id>/revoke/", views.token_revoke, name="token_revoke"),
]
