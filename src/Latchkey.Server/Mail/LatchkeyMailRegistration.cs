using Latchkey.Server.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Mail;

public static class LatchkeyMailRegistration
{
    /// <summary>The SMTP mailer and the validation of <c>Latchkey:Mail</c>.</summary>
    public static IServiceCollection AddLatchkeyMail(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, LatchkeyMailOptionsValidator>());
        services.TryAddSingleton<ILatchkeyMailer, SmtpLatchkeyMailer>();
        return services;
    }
}
