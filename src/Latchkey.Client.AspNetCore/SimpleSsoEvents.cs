using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Events of the simple-sso handler. Unlike the framework default, a failed sign-in is answered with
/// a plain 4xx (or 502) page instead of an exception that becomes a 500.
/// </summary>
public class SimpleSsoEvents : RemoteAuthenticationEvents
{
    /// <summary>Installs <see cref="WriteFailurePageAsync"/> as the default <c>OnRemoteFailure</c>.</summary>
    public SimpleSsoEvents()
    {
        OnRemoteFailure = WriteFailurePageAsync;
    }

    /// <summary>Answers a failed sign-in with its status and a plain-text reason, and ends the request.</summary>
    public static async Task WriteFailurePageAsync(RemoteFailureContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Failure as SimpleSsoAuthenticationException;
        await SimpleSsoFailurePage.WriteAsync(
            context.Response,
            failure?.StatusCode ?? StatusCodes.Status400BadRequest,
            failure?.Reason ?? "The sign-in could not be completed.");
        context.HandleResponse();
    }
}

internal static class SimpleSsoFailurePage
{
    public static Task WriteAsync(HttpResponse response, int status, string reason)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync("Single sign-on failed: " + reason + "\n", Encoding.UTF8);
    }
}
