using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Latchkey.SimpleSso;

namespace Latchkey.SimpleSso.Tests;

public sealed class TamperAndExpiryTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimedSigner Signer = new("private-key-of-consumer-one");

    [Property(MaxTest = 300)]
    public bool Any_payload_round_trips(NonNull<string> payload, bool legacy)
    {
        var epoch = legacy ? TimestampEpoch.Legacy2011 : TimestampEpoch.Unix;
        var unsigned = Signer.Unsign(Signer.Sign(payload.Get, Now, epoch));

        return unsigned.IsSuccess && unsigned.Value.Payload == payload.Get && unsigned.Value.SignedAt == Now && unsigned.Value.Epoch == epoch;
    }

    [Property(MaxTest = 500)]
    public bool Changing_any_single_character_breaks_the_signature(PositiveInt position, char replacement)
    {
        var signed = Signer.Sign("{\"access_token\": \"" + SimpleSsoTokens.New() + "\"}", Now);
        var index = position.Get % signed.Length;
        if (signed[index] == replacement)
        {
            return true;
        }

        var tampered = new StringBuilder(signed) { [index] = replacement }.ToString();
        var unsigned = Signer.Unsign(tampered);

        // Base64 has slack bits in its last character: a different character may decode to the same
        // MAC bytes. Then the payload and timestamp are still authentic, which is all that matters.
        return !unsigned.IsSuccess
            ? unsigned.Error == SimpleSsoError.BadSignature
            : unsigned.Value.Payload == Signer.Unsign(signed).Value!.Payload && index > signed.LastIndexOf('.');
    }

    [Property(MaxTest = 200)]
    public bool Another_consumers_key_never_verifies(NonEmptyString payload)
    {
        var other = new TimedSigner("private-key-of-consumer-two");

        return other.Unsign(Signer.Sign(payload.Get, Now)).Error == SimpleSsoError.BadSignature;
    }

    [Property(MaxTest = 300)]
    public bool Freshness_accepts_exactly_the_configured_window(int offsetSeconds)
    {
        var offset = offsetSeconds % 120;
        var window = new FreshnessWindow(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        var signedAt = Now.AddSeconds(-offset);

        var accepted = window.Check(signedAt, Now) is null;

        return accepted == (offset <= 30 && offset >= -10);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-dots-at-all")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("payload.Z3SFgA.")]
    [InlineData("payload..HiWsqj1I2YdpIzAsP4UIK85tvDY")]
    [InlineData("payload.Z3SFgA.not*base64*at*all")]
    [InlineData("payload.Z3SFgA.HiWsqj1I2YdpIzAsP4UIK85tv")]
    [InlineData("payload.Z3SFgA.HiWsqj1I2YdpIzAsP4UIK85tvDYAAAA")]
    public void Malformed_or_truncated_values_are_bad_signatures(string value)
    {
        Assert.Equal(SimpleSsoError.BadSignature, Signer.Unsign(value).Error);
    }

    [Fact]
    public void Truncating_a_valid_envelope_anywhere_is_a_bad_signature()
    {
        var signed = Signer.Sign("{\"redirect_to\": \"https://a.example/\"}", Now);

        for (var length = 0; length < signed.Length; length++)
        {
            Assert.Equal(SimpleSsoError.BadSignature, Signer.Unsign(signed[..length]).Error);
        }
    }

    [Fact]
    public void Timestamp_longer_than_eight_bytes_is_rejected_even_when_signed()
    {
        // A correctly signed value whose timestamp field decodes to 9 bytes must not overflow.
        var head = "x." + System.Buffers.Text.Base64Url.EncodeToString(new byte[9] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        var key = System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("itsdangerous" + "signer" + "private-key-of-consumer-one"));
        var mac = System.Security.Cryptography.HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(head));

        Assert.Equal(SimpleSsoError.BadSignature, Signer.Unsign(head + "." + System.Buffers.Text.Base64Url.EncodeToString(mac)).Error);
    }

    [Fact]
    public void Envelope_past_the_window_is_expired_and_inside_it_opens()
    {
        var envelope = SimpleSsoEnvelope.Seal(new RequestTokenRequest("https://a.example/x"), Signer, Now);
        var window = FreshnessWindow.Default;

        Assert.True(SimpleSsoEnvelope.Open(envelope, Signer, Now.AddSeconds(30), window).IsSuccess);
        Assert.Equal(SimpleSsoError.SignatureExpired, SimpleSsoEnvelope.Open(envelope, Signer, Now.AddSeconds(31), window).Error);
        Assert.Equal(SimpleSsoError.SignatureExpired, SimpleSsoEnvelope.Open(envelope, Signer, Now.AddSeconds(-31), window).Error);
        Assert.True(SimpleSsoEnvelope.Open(envelope, Signer, Now.AddDays(365), window: null).IsSuccess);
    }

    [Fact]
    public void Legacy_epoch_envelope_is_judged_on_the_same_clock()
    {
        var envelope = SimpleSsoEnvelope.Seal(new RequestTokenRequest("https://a.example/x"), Signer, Now, TimestampEpoch.Legacy2011);

        Assert.True(SimpleSsoEnvelope.Open(envelope, Signer, Now.AddSeconds(5), FreshnessWindow.Default).IsSuccess);
        Assert.Equal(SimpleSsoError.SignatureExpired, SimpleSsoEnvelope.Open(envelope, Signer, Now.AddMinutes(5), FreshnessWindow.Default).Error);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"redirect_to\": ")]
    [InlineData("{\"redirect_to\": \"x\",}")]
    public void Signed_but_wrong_json_fails_to_process(string payload)
    {
        var envelope = Signer.Sign(payload, Now);

        Assert.Equal(SimpleSsoError.FailedToProcess, SimpleSsoEnvelope.Open(envelope, Signer, Now, FreshnessWindow.Default).Error);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"redirect_to\": 42}")]
    [InlineData("{\"redirect_to\": \"\"}")]
    [InlineData("{\"redirect_to\": null}")]
    public void Missing_or_mistyped_fields_fail_to_process(string payload)
    {
        var opened = SimpleSsoEnvelope.Open(Signer.Sign(payload, Now), Signer, Now, FreshnessWindow.Default);

        Assert.True(opened.IsSuccess);
        Assert.Equal(SimpleSsoError.FailedToProcess, RequestTokenRequest.From(opened.Value).Error);
        Assert.Equal(SimpleSsoError.FailedToProcess, VerifyRequest.From(opened.Value).Error);
    }

    [Fact]
    public void Oversized_and_invalid_utf8_bodies_are_refused()
    {
        Assert.Equal(SimpleSsoError.PayloadTooLarge, SimpleSsoEnvelope.DecodeBody(new byte[SimpleSsoEnvelope.MaxBodyBytes + 1]).Error);
        Assert.Equal(SimpleSsoError.BadSignature, SimpleSsoEnvelope.DecodeBody([0x7B, 0xC3, 0x28, 0x7D]).Error);
        Assert.Equal("{}", SimpleSsoEnvelope.DecodeBody("{}"u8).Value);
    }

    [Fact]
    public void Compressed_token_that_inflates_too_far_is_refused()
    {
        var bomb = "\"" + new string('a', 100_000) + "\"";
        using var buffer = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(buffer, System.IO.Compression.CompressionLevel.Optimal))
        {
            zlib.Write(Encoding.UTF8.GetBytes(bomb));
        }

        var signed = Signer.Sign("." + System.Buffers.Text.Base64Url.EncodeToString(buffer.ToArray()), Now);

        Assert.Equal(SimpleSsoError.BadSignature, UrlSafeToken.Open(signed, Signer, Now, null).Error);
    }

    [Fact]
    public void Url_safe_token_past_its_age_is_expired()
    {
        var token = UrlSafeToken.Seal(SimpleSsoTokens.New(), Signer, Now);
        var window = new FreshnessWindow(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));

        Assert.True(UrlSafeToken.Open(token, Signer, Now.AddMinutes(5), window).IsSuccess);
        Assert.Equal(SimpleSsoError.SignatureExpired, UrlSafeToken.Open(token, Signer, Now.AddMinutes(5).AddSeconds(1), window).Error);
    }

    [Fact]
    public void Generated_tokens_are_64_alphanumerics_and_distinct()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => SimpleSsoTokens.New()).ToList();

        Assert.All(tokens, t => Assert.True(SimpleSsoTokens.IsWellFormed(t)));
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.False(SimpleSsoTokens.IsWellFormed(tokens[0][..63]));
        Assert.False(SimpleSsoTokens.IsWellFormed(tokens[0][..63] + "-"));
    }
}
