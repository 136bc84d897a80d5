using Latchkey.Server.Mail;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Mail;

public sealed class MailTests
{
    [Fact]
    public async Task Mail_goes_over_SMTP_to_the_sink()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        var mailer = factory.Services.GetRequiredService<ILatchkeyMailer>();

        Assert.True(mailer.IsConfigured);
        await mailer.SendAsync("alice@example.com", "Hello", "Visit https://sso.example.com/x?token=abc", "<p>hi</p>", CancellationToken.None);

        var mail = await sink.WaitForMailAsync("alice@example.com", TimeSpan.FromSeconds(10));
        Assert.Equal("Hello", mail.Subject);
        Assert.Contains("sso@latchkey.test", mail.From);
        Assert.Equal("https://sso.example.com/x?token=abc", mail.FindLink("/x"));
        Assert.Equal("<p>hi</p>", mail.HtmlBody);
    }

    [Fact]
    public async Task Without_a_relay_sending_throws_MailNotConfigured()
    {
        await using var factory = new LatchkeyServerFactory();
        var mailer = factory.Services.GetRequiredService<ILatchkeyMailer>();

        Assert.False(mailer.IsConfigured);
        await Assert.ThrowsAsync<MailNotConfiguredException>(() =>
            mailer.SendAsync("alice@example.com", "Hello", "body", null, CancellationToken.None));
    }

    [Fact]
    public async Task An_unreachable_relay_is_a_delivery_exception()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:Mail:SmtpHost", "127.0.0.1")
            .WithSetting("Latchkey:Mail:SmtpPort", "1")
            .WithSetting("Latchkey:Mail:UseTls", "None")
            .WithSetting("Latchkey:Mail:From", "sso@latchkey.test");
        var mailer = factory.Services.GetRequiredService<ILatchkeyMailer>();

        await Assert.ThrowsAsync<MailDeliveryException>(() =>
            mailer.SendAsync("alice@example.com", "Hello", "body", null, CancellationToken.None));
    }

    [Theory]
    [InlineData("Latchkey:Mail:SmtpHost", "smtp.example.com", "SmtpPort is required")]
    [InlineData("Latchkey:Mail:SmtpHost", "smtp.example.com:587", "without a port")]
    [InlineData("Latchkey:Mail:UseTls", "Tls13", "UseTls must be")]
    [InlineData("Latchkey:Mail:From", "sso@example.com", "SmtpHost is required")]
    [InlineData("Latchkey:Mail:PublicBaseUrl", "sso.example.com", "PublicBaseUrl must be")]
    public async Task Bad_mail_settings_fail_at_startup_with_the_key_named(string key, string value, string expected)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting(key, value);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains(expected, ValidationMessage(error));
    }

    [Fact]
    public async Task Credentials_must_come_in_pairs()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:Mail:SmtpHost", "smtp.example.com")
            .WithSetting("Latchkey:Mail:SmtpPort", "587")
            .WithSetting("Latchkey:Mail:From", "sso@example.com")
            .WithSetting("Latchkey:Mail:Username", "latchkey");

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains("Username and Latchkey:Mail:Password must be set together", ValidationMessage(error));
    }

    internal static string ValidationMessage(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException validation)
            {
                return validation.Message;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault() is { } inner)
            {
                return inner.Message;
            }
        }

        throw new Xunit.Sdk.XunitException($"Expected an OptionsValidationException, got: {error}");
    }
}
