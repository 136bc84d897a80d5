using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Audit;

public sealed class SessionAuditTests
{
    [Fact]
    public async Task Ending_a_session_is_audited_with_the_user_and_the_reason()
    {
        await using var factory = new LatchkeyServerFactory();
        var user = await factory.CreateUserAsync("frank", "frank-password-123");
        using var browser = await factory.SignInAsync("frank", "frank-password-123");

        var ended = await factory.WithScopeAsync(services =>
            services.GetRequiredService<SsoSessionRegistry>().EndAllForUserAsync(user.Id, "test_reason", null, CancellationToken.None));

        Assert.Equal(1, ended);
        var entries = await AuditChainTests.EntriesAsync(factory);
        var entry = Assert.Single(entries, e => e.Event == AuditEvents.SessionEnded);
        Assert.Equal(user.Id, entry.SubjectId);
        Assert.Contains("\"reason\":\"test_reason\"", entry.Details, StringComparison.Ordinal);
        Assert.Contains("\"session_id\":", entry.Details, StringComparison.Ordinal);
    }
}
