using Latchkey.Server.Accounts.Mfa;

namespace Latchkey.Server.Tests.Mfa;

public sealed class MfaPolicyTests
{
    // The whole table: global × user × app. The most restrictive setting wins; nothing relaxes another.
    [Theory]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Default, false, false)]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Optional, false, false)]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Required, false, true)]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Default, true, true)]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Optional, true, true)]
    [InlineData(MfaGlobalPolicy.Optional, MfaRequirement.Required, true, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Default, false, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Optional, false, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Required, false, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Default, true, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Optional, true, true)]
    [InlineData(MfaGlobalPolicy.Required, MfaRequirement.Required, true, true)]
    public void Most_restrictive_setting_wins(MfaGlobalPolicy global, MfaRequirement user, bool app, bool required)
    {
        Assert.Equal(required, MfaPolicy.Required(global, user, app));
        Assert.Equal(global == MfaGlobalPolicy.Required || user == MfaRequirement.Required, MfaPolicy.RequiredForUser(global, user));
    }

    [Theory]
    [InlineData("Optional", true)]
    [InlineData("required", true)]
    [InlineData(" Required ", true)]
    [InlineData("1", false)]
    [InlineData("Always", false)]
    [InlineData("", false)]
    public void The_global_policy_parses_names_only(string value, bool valid) =>
        Assert.Equal(valid, new LatchkeyMfaOptions { Policy = value }.TryGetPolicy(out _));

    [Fact]
    public void A_user_with_only_recovery_codes_or_email_can_verify_but_has_no_enrolled_factor()
    {
        Assert.False(new UserFactors(false, 0, 0, false).CanVerify);
        Assert.True(new UserFactors(false, 0, 3, false).CanVerify);
        Assert.True(new UserFactors(false, 0, 0, true).CanVerify);
        Assert.False(new UserFactors(false, 0, 3, true).HasEnrolledFactor);
        Assert.True(new UserFactors(true, 0, 0, false).HasEnrolledFactor);
        Assert.True(new UserFactors(false, 1, 0, false).HasEnrolledFactor);
    }
}
