using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// RFC 6749 §4.1.2.1: errors go back to the client once client_id and redirect_uri are known good; an
/// unknown client or an unregistered redirect_uri gets an error page here and no redirect.
/// </summary>
public sealed class AuthorizationErrorRedirectTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData("scope", "openid nonsense", "invalid_scope")]
    [InlineData("response_type", "code token", "unsupported_response_type")]
    [InlineData("prompt", "none login", "invalid_request")]
    [InlineData("code_challenge_method", "plain", "invalid_request")]
    public async Task Validation_errors_for_a_known_client_and_registered_redirect_uri_go_back_to_the_client(string parameter, string value, string error)
    {
        var client = await _host.CreateClientAsync("web");

        foreach (var browser in new[] { _host.Factory.CreateBrowser(), await _host.SignInAsync() })
        {
            using var response = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: (parameter, value)));

            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            Assert.Equal(client.RedirectUri, location.GetLeftPart(UriPartial.Path));
            var parameters = QueryHelpers.ParseQuery(location.Query.Length > 1 ? location.Query : location.Fragment.TrimStart('#'));
            Assert.Equal(error, parameters["error"].ToString());
            Assert.False(string.IsNullOrEmpty(parameters["error_description"]));
            Assert.Equal("state-123", parameters["state"].ToString());
            Assert.Equal("http://localhost/", parameters["iss"].ToString());
            Assert.False(parameters.ContainsKey("code"));
        }
    }

    [Fact]
    public async Task Form_post_errors_are_posted_to_the_client()
    {
        var client = await _host.CreateClientAsync("spa", confidential: false);

        using var response = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(client, pkce: null, extra: ("response_mode", "form_post")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"action=\"{client.RedirectUri}\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"invalid_request\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"state-123\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_stay_here_when_the_redirect_uri_is_not_registered_even_if_the_request_has_other_errors()
    {
        var client = await _host.CreateClientAsync("spa", confidential: false);

        using var unregistered = await _host.Factory.CreateBrowser().GetAsync(
            AuthorizeUrl(client, pkce: null, extra: [("redirect_uri", "https://spa.example/callback/other"), ("scope", "openid nonsense")]));
        await AssertErrorPageAsync(unregistered, "invalid_request");

        using var missing = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(client, pkce: null, extra: ("redirect_uri", null)));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Null(missing.Headers.Location);

        var stranger = new TestClient("stranger", null, client.RedirectUri, client.PostLogoutRedirectUri);
        using var unknown = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(stranger, pkce: null));
        await AssertErrorPageAsync(unknown, "invalid_request");
    }

    [Fact]
    public async Task A_client_without_the_authorization_endpoint_permission_is_not_redirected_to()
    {
        var client = await _host.CreateClientAsync("machine");
        await _host.Factory.WithScopeAsync(async services =>
        {
            var manager = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>(services);
            var application = await manager.FindByClientIdAsync(client.ClientId);
            var descriptor = new OpenIddict.Abstractions.OpenIddictApplicationDescriptor();
            await manager.PopulateAsync(descriptor, application!);
            descriptor.Permissions.Remove(OpenIddict.Abstractions.OpenIddictConstants.Permissions.Endpoints.Authorization);
            await manager.UpdateAsync(application!, descriptor);
        });

        using var response = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(client, Pkce.Create()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }
}
