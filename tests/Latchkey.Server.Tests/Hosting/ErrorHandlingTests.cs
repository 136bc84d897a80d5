using System.Net;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Server.Tests.Hosting;

public sealed class ErrorHandlingTests
{
    [Fact]
    public async Task Unhandled_exception_becomes_a_problem_details_500_without_internals()
    {
        await using var factory = new LatchkeyServerFactory().WithServices(services =>
        {
            services.RemoveAll<IPasswordHasher<LatchkeyUser>>();
            services.AddScoped<IPasswordHasher<LatchkeyUser>, ExplodingHasher>();
        });
        await factory.CreateUserAsync("dave", "some password");

        using var response = await LoginForm.SubmitAsync(factory.CreateBrowser(), "dave", "some password");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(ExplodingHasher.Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("ExplodingHasher", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_found_gets_a_problem_details_body()
    {
        await using var factory = new LatchkeyServerFactory();

        using var response = await factory.CreateBrowser().GetAsync("/definitely/not/here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private sealed class ExplodingHasher : IPasswordHasher<LatchkeyUser>
    {
        public const string Secret = "internal-detail-7f3a";

        public string HashPassword(LatchkeyUser user, string password) => new PasswordHasher<LatchkeyUser>().HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(LatchkeyUser user, string hashedPassword, string providedPassword) =>
            throw new InvalidOperationException(Secret);
    }
}
