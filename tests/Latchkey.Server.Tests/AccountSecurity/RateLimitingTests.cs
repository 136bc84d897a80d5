using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.AccountSecurity;

public sealed class RateLimitingTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Login_per_account_limit_answers_429_with_retry_after_and_changes_nothing()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:RateLimits:Login:PerAccount:PermitLimit", "3")
            .WithSetting("Latchkey:RateLimits:Login:PerAccount:Window", "00:10:00");
        await factory.CreateUserAsync("alice", Password);
        var browser = factory.CreateBrowser();

        for (var i = 0; i < 2; i++)
        {
            using var wrong = await LoginForm.SubmitAsync(browser, "alice", "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        var failuresBefore = (await factory.FindUserAsync("alice"))!.AccessFailedCount;
        using var third = await LoginForm.SubmitAsync(browser, "ALICE ", "wrong password 3");
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);

        // The 4th attempt for the same account (even with the right password) never reaches the password check.
        using var limited = await LoginForm.SubmitAsync(browser, "alice", Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 600);
        Assert.StartsWith("text/html", limited.Content.Headers.ContentType!.ToString());
        var page = await HtmlForms.ParseAsync(limited);
        Assert.StartsWith("Too many sign-in attempts.", page.QuerySelector("#rate-limit-message")!.TextContent);
        Assert.Null(limited.Headers.Contains("Set-Cookie") ? limited.Headers.GetValues("Set-Cookie").FirstOrDefault(c => c.StartsWith("latchkey.session", StringComparison.Ordinal)) : null);
        Assert.Equal(failuresBefore + 1, (await factory.FindUserAsync("alice"))!.AccessFailedCount);

        // Another account from the same address still gets through (the per-IP budget is separate).
        await factory.CreateUserAsync("bob", Password);
        using var other = await LoginForm.SubmitAsync(factory.CreateBrowser(), "bob", Password);
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
    }

    [Fact]
    public async Task An_unknown_account_is_limited_exactly_like_a_known_one()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Login:PerAccount:PermitLimit", "1");
        await factory.CreateUserAsync("alice", Password);

        async Task<HttpStatusCode[]> Attempts(string user)
        {
            using var first = await LoginForm.SubmitAsync(factory.CreateBrowser(), user, "nope nope nope");
            using var second = await LoginForm.SubmitAsync(factory.CreateBrowser(), user, "nope nope nope");
            return [first.StatusCode, second.StatusCode];
        }

        Assert.Equal(await Attempts("alice"), await Attempts("nobody-here"));
    }

    [Fact]
    public async Task Login_per_ip_limit_stops_spraying_many_accounts_and_showing_the_form_is_free()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Login:PerIp:PermitLimit", "2");
        var browser = factory.CreateBrowser();

        for (var i = 0; i < 5; i++)
        {
            using var form = await browser.GetAsync("/account/login");
            Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        }

        using var first = await LoginForm.SubmitAsync(browser, "user1", "password one");
        using var second = await LoginForm.SubmitAsync(browser, "user2", "password two");
        using var third = await LoginForm.SubmitAsync(browser, "user3", "password three");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(third.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Forwarded_for_headers_are_ignored_unless_forwarded_headers_are_enabled()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Token:PerIp:PermitLimit", "2");
        var client = factory.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
            };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.NotEqual(HttpStatusCode.TooManyRequests, statuses[0]);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, statuses[1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:RateLimits:Token:PerIp:PermitLimit", "1")
            .WithSetting("Latchkey:ForwardedHeaders:Enabled", "true")
            .WithSetting("Latchkey:ForwardedHeaders:KnownProxies:0", "127.0.0.1");
        using var client = new HttpClient { BaseAddress = factory.UseRealKestrel() };

        async Task<HttpStatusCode> TokenFrom(string clientIp)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
            };
            request.Headers.Add("X-Forwarded-For", clientIp);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.NotEqual(HttpStatusCode.TooManyRequests, await TokenFrom("203.0.113.1"));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, await TokenFrom("203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await TokenFrom("203.0.113.1"));
    }

    [Fact]
    public async Task Token_endpoint_answers_429_with_oauth_json_per_client_id()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Token:PerAccount:PermitLimit", "2");
        var client = factory.CreateClient();

        async Task<HttpResponseMessage> Post(string clientId) =>
            await client.PostAsync("/connect/token", new FormUrlEncodedContent(
                [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", "whatever")]));

        (await Post("app-one")).Dispose();
        (await Post("app-one")).Dispose();
        using var limited = await Post("app-one");
        using var otherClient = await Post("app-two");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.StartsWith("application/json", limited.Content.Headers.ContentType!.ToString());
        using var json = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        Assert.Equal("temporarily_unavailable", json.RootElement.GetProperty("error").GetString());
        Assert.Contains("Too many requests", json.RootElement.GetProperty("error_description").GetString());
        Assert.NotEqual(HttpStatusCode.TooManyRequests, otherClient.StatusCode);
    }

    [Fact]
    public async Task Device_code_polling_over_the_limit_is_slow_down()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Token:PerAccount:PermitLimit", "1");
        var client = factory.CreateClient();

        HttpContent Poll() => new FormUrlEncodedContent(
            [new("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), new("client_id", "tv"), new("device_code", "x")]);

        (await client.PostAsync("/connect/token", Poll())).Dispose();
        using var limited = await client.PostAsync("/connect/token", Poll());

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        using var json = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        Assert.Equal("slow_down", json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Simple_sso_server_calls_are_limited_per_consumer_key()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Token:PerAccount:PermitLimit", "1");
        var client = factory.CreateClient();

        async Task<HttpStatusCode> Call(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/sso/request-token/") { Content = new StringContent("x") };
            request.Headers.Add("X-Services-Public-Key", key);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.NotEqual(HttpStatusCode.TooManyRequests, await Call("key-a"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Call("key-a"));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, await Call("key-b"));
    }

    [Fact]
    public async Task A_malformed_form_body_is_a_client_error_not_a_500()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Login:PerIp:PermitLimit", "1");
        var client = factory.CreateClient();

        async Task<HttpStatusCode> PostGarbage()
        {
            var content = new StringContent("--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice");
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
            using var response = await client.PostAsync("/account/login", content);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.BadRequest, await PostGarbage());
        // It still counted against the address.
        Assert.Equal(HttpStatusCode.TooManyRequests, await PostGarbage());
    }

    [Fact]
    public async Task Anonymous_passkey_options_are_budgeted_per_address_and_refused_as_json_without_storing_a_ceremony()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:RateLimits:Ceremony:PerIp:PermitLimit", "2");
        var browser = factory.CreateBrowser();
        var token = await Accounts.Passkeys.PasskeyTestKit.TokenAsync(browser, "/account/login");
        async Task<long> CeremoniesAsync() => await factory.WithScopeAsync(services =>
            services.GetRequiredService<Latchkey.Server.Storage.LatchkeyDbContext>().Set<Latchkey.Server.Accounts.Passkeys.PasskeyCeremony>().LongCountAsync());

        await Accounts.Passkeys.PasskeyTestKit.OptionsAsync(browser, Accounts.Passkeys.PasskeyTestKit.SignInOptions, token);
        await Accounts.Passkeys.PasskeyTestKit.OptionsAsync(browser, Accounts.Passkeys.PasskeyTestKit.SignInOptions, token);
        var stored = await CeremoniesAsync();
        using var limited = await Accounts.Passkeys.PasskeyTestKit.PostJsonAsync(browser, Accounts.Passkeys.PasskeyTestKit.SignInOptions, token, "{}");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.StartsWith("application/json", limited.Content.Headers.ContentType!.ToString());
        var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate_limited", body.GetProperty("error").GetString());
        Assert.StartsWith("Too many passkey requests", body.GetProperty("message").GetString());
        Assert.Equal(stored, await CeremoniesAsync());
        // Showing the login page is not what is budgeted.
        using var page = await browser.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Theory]
    [InlineData("Latchkey:RateLimits:Login:PerIp:PermitLimit", "0", "Latchkey:RateLimits:Login:PerIp:PermitLimit must be positive")]
    [InlineData("Latchkey:RateLimits:Token:PerAccount:Window", "00:00:00", "Latchkey:RateLimits:Token:PerAccount:Window must be")]
    public async Task Bad_limits_fail_at_startup(string key, string value, string expected)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting(key, value);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains(expected, Mail.MailTests.ValidationMessage(error));
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData(null, "none")]
    public void Client_key_is_the_address_or_its_ipv6_64(string? address, string expected) =>
        Assert.Equal(expected, RateLimitTargetMiddleware.ClientKey(address is null ? null : IPAddress.Parse(address)));
}
