using Latchkey.Server.Accounts.Mfa;
using OtpNet;

namespace Latchkey.Server.Tests.Mfa;

public sealed class TotpCodesTests
{
    private static readonly byte[] Secret = "12345678901234567890"u8.ToArray();
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 10, TimeSpan.Zero);

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void A_code_from_the_current_or_an_adjacent_step_is_accepted_with_its_step(int offset)
    {
        var step = TotpCodes.StepAt(Now) + offset;

        Assert.Equal(step, TotpCodes.MatchStep(Secret, TotpCodes.CodeFor(Secret, step), Now));
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    [InlineData(-10)]
    public void A_code_two_or_more_steps_away_is_refused(int offset)
    {
        var code = TotpCodes.CodeFor(Secret, TotpCodes.StepAt(Now) + offset);
        // Guard against the (1 in a million) case where the far code equals one inside the window.
        Assert.SkipWhen(Enumerable.Range(-1, 3).Any(o => TotpCodes.CodeFor(Secret, TotpCodes.StepAt(Now) + o) == code), "colliding code");

        Assert.Null(TotpCodes.MatchStep(Secret, code, Now));
    }

    [Fact]
    public void Codes_match_rfc_6238_test_vectors()
    {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits: T=59 → 94287082, T=1111111109 → 07081804.
        Assert.Equal("287082", TotpCodes.CodeFor(Secret, 59 / 30));
        Assert.Equal("081804", TotpCodes.CodeFor(Secret, 1111111109 / 30));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("１２３４５６")]
    public void Malformed_input_is_no_code(string? input) => Assert.Null(TotpCodes.MatchStep(Secret, input, Now));

    [Fact]
    public void Spaces_and_dashes_typed_by_the_user_are_ignored()
    {
        var code = TotpCodes.CodeFor(Secret, TotpCodes.StepAt(Now));

        Assert.NotNull(TotpCodes.MatchStep(Secret, code[..3] + " " + code[3..], Now));
        Assert.NotNull(TotpCodes.MatchStep(Secret, code[..3] + "-" + code[3..], Now));
    }

    [Fact]
    public void The_manual_key_is_grouped_base32_of_the_secret_and_the_uri_carries_it()
    {
        var key = TotpCodes.FormatManualKey(Secret);

        Assert.Equal("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", key);
        Assert.Equal(Secret, Base32Encoding.ToBytes(key.Replace(" ", "", StringComparison.Ordinal)));
        var uri = TotpCodes.EnrolmentUri("Latchkey", "alice@example", Secret);
        Assert.StartsWith("otpauth://totp/Latchkey:alice%40example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Latchkey", uri);
    }

    [Fact]
    public void The_qr_code_is_inline_svg_markup()
    {
        var svg = QrCodeSvg.Render("otpauth://totp/x?secret=ABC");

        Assert.StartsWith("<svg", svg);
        Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
    }
}
