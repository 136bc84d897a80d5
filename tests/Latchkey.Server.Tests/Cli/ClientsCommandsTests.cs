using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Tests.Cli;

public sealed class ClientsCommandsTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Add_json_prints_exactly_client_id_and_a_secret_that_the_server_accepts()
    {
        var run = await _cli.RunAsync(
            "clients", "add", "web", "--type", "confidential",
            "--redirect-uri", "https://web.example/cb", "--redirect-uri", "http://127.0.0.1:8000/cb",
            "--post-logout-redirect-uri", "https://web.example/bye",
            "--grant", "authorization_code", "--grant", "refresh_token",
            "--scope", "openid", "--scope", "profile", "--scope", "offline_access",
            "--first-party", "--display-name", "Web App", "--backchannel-logout-uri", "https://web.example/bcl", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(["client_id", "client_secret"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("web", json.RootElement.GetProperty("client_id").GetString());
        var secret = json.RootElement.GetProperty("client_secret").GetString()!;
        Assert.Equal(43, secret.Length);

        var valid = await _cli.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var application = (await manager.FindByClientIdAsync("web"))!;
            return (await manager.ValidateClientSecretAsync(application, secret), await manager.ValidateClientSecretAsync(application, secret + "x"));
        });
        Assert.Equal((true, false), valid);
    }

    [Fact]
    public async Task Add_text_prints_the_secret_once_and_public_clients_get_none()
    {
        var confidential = await _cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials");
        Assert.Equal(0, confidential.ExitCode);
        Assert.Matches("^Client secret: [A-Za-z0-9_-]{43}$", confidential.Output.Split('\n')[1].TrimEnd());
        Assert.Contains("shown only now", confidential.Error, StringComparison.Ordinal);

        var pub = await _cli.RunAsync("clients", "add", "spa", "--type", "public", "--redirect-uri", "http://localhost:3000/cb", "--grant", "authorization_code", "--scope", "openid", "--json");
        Assert.Equal(0, pub.ExitCode);
        using var json = JsonDocument.Parse(pub.Output);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("client_secret").ValueKind);
    }

    [Fact]
    public async Task Show_and_list_report_settings_but_never_the_secret()
    {
        var secret = Secret(await _cli.RunAsync("clients", "add", "web", "--type", "confidential", "--redirect-uri", "https://web.example/cb", "--grant", "authorization_code", "--scope", "openid", "--scope", "email", "--first-party", "--frontchannel-logout-uri", "https://web.example/fcl", "--id-token-alg", "ES256", "--json"));
        await _cli.RunAsync("clients", "add", "spa", "--type", "public", "--redirect-uri", "http://localhost:3000/cb", "--grant", "authorization_code", "--scope", "openid");

        var show = await _cli.RunAsync("clients", "show", "web", "--json");
        Assert.Equal(0, show.ExitCode);
        Assert.DoesNotContain(secret, show.Output, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(show.Output))
        {
            var root = json.RootElement;
            Assert.Equal(
                ["client_id", "type", "display_name", "redirect_uris", "post_logout_redirect_uris", "grants", "scopes", "first_party", "require_pkce", "backchannel_logout_uri", "frontchannel_logout_uri", "id_token_signed_response_alg"],
                root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("confidential", root.GetProperty("type").GetString());
            Assert.Equal(["https://web.example/cb"], root.GetProperty("redirect_uris").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["openid", "email"], root.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
            Assert.True(root.GetProperty("first_party").GetBoolean());
            Assert.False(root.GetProperty("require_pkce").GetBoolean());
            Assert.Equal("https://web.example/fcl", root.GetProperty("frontchannel_logout_uri").GetString());
            Assert.Equal("ES256", root.GetProperty("id_token_signed_response_alg").GetString());
        }

        var text = await _cli.RunAsync("clients", "show", "spa");
        Assert.Contains("PKCE required", text.Output, StringComparison.Ordinal);

        var list = await _cli.RunAsync("clients", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain(secret, list.Output, StringComparison.Ordinal);
        using var array = JsonDocument.Parse(list.Output);
        Assert.Equal(["spa", "web"], array.RootElement.EnumerateArray().Select(e => e.GetProperty("client_id").GetString()));

        var table = await _cli.RunAsync("clients", "list");
        Assert.Contains("web", table.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_secret_replaces_the_secret_and_refuses_public_and_unknown_clients()
    {
        var first = Secret(await _cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials", "--json"));

        var rotated = await _cli.RunAsync("clients", "rotate-secret", "svc", "--json");
        Assert.Equal(0, rotated.ExitCode);
        var second = Secret(rotated);
        Assert.NotEqual(first, second);
        var checks = await _cli.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var application = (await manager.FindByClientIdAsync("svc"))!;
            return (await manager.ValidateClientSecretAsync(application, first), await manager.ValidateClientSecretAsync(application, second));
        });
        Assert.Equal((false, true), checks);

        await _cli.RunAsync("clients", "add", "spa", "--type", "public", "--redirect-uri", "http://localhost:3000/cb", "--grant", "authorization_code");
        var pub = await _cli.RunAsync("clients", "rotate-secret", "spa");
        Assert.Equal(1, pub.ExitCode);
        Assert.Contains("public", pub.Error, StringComparison.Ordinal);

        var unknown = await _cli.RunAsync("clients", "rotate-secret", "nobody");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no client with client_id 'nobody'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_deletes_and_a_second_remove_fails()
    {
        await _cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials");

        var removed = await _cli.RunAsync("clients", "remove", "svc");
        Assert.Equal(0, removed.ExitCode);
        Assert.Null(await _cli.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().GetAsync("svc", CancellationToken.None)));

        var again = await _cli.RunAsync("clients", "remove", "svc");
        Assert.Equal(1, again.ExitCode);
        var show = await _cli.RunAsync("clients", "show", "svc");
        Assert.Equal(1, show.ExitCode);
    }

    [Theory]
    [InlineData(1, "clients", "add", "x", "--type", "confidential", "--redirect-uri", "http://evil.example/cb", "--grant", "authorization_code")]
    [InlineData(1, "clients", "add", "x", "--type", "public", "--grant", "client_credentials")]
    [InlineData(1, "clients", "add", "x", "--type", "confidential", "--redirect-uri", "https://a.example/cb#f", "--grant", "authorization_code")]
    [InlineData(2, "clients", "add", "x", "--type", "hybrid", "--grant", "client_credentials")]
    [InlineData(2, "clients", "add", "x", "--type", "confidential", "--grant", "password")]
    [InlineData(2, "clients", "add", "x", "--type", "confidential", "--grant", "client_credentials", "--scope", "admin")]
    [InlineData(2, "clients", "add", "x", "--grant", "client_credentials")]
    [InlineData(2, "clients", "add", "x", "--type", "confidential")]
    public async Task Bad_input_fails_with_a_reason_and_writes_nothing(int exitCode, params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.StartsWith("latchkey: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Output);
        var list = await _cli.RunAsync("clients", "list", "--json");
        Assert.Equal("[]", list.Output.Trim());
    }

    [Fact]
    public async Task Duplicate_client_id_fails()
    {
        await _cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials");
        var again = await _cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials");

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);
    }

    private static string Secret(CliRun run)
    {
        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        return json.RootElement.GetProperty("client_secret").GetString()!;
    }
}
