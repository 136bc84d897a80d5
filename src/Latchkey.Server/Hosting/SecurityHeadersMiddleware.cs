namespace Latchkey.Server.Hosting;

/// <summary>Adds defensive headers to every response unless an endpoint already set its own.</summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    private const string BasePolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    private const string StrictPolicy = BasePolicy + "; form-action 'self'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers.TryAdd("X-Content-Type-Options", "nosniff");
            // Overwrites antiforgery's SAMEORIGIN: no page of ours is meant to be framed at all.
            headers.XFrameOptions = "DENY";

            // Tokens travel in query strings (simple-sso, OIDC), so a Referer must never carry them away.
            headers.TryAdd("Referrer-Policy", "no-referrer");

            var permitsFormRedirects = http.GetEndpoint()?.Metadata.GetMetadata<PermitCrossOriginFormRedirectsAttribute>() is not null;
            headers.TryAdd("Content-Security-Policy", permitsFormRedirects ? BasePolicy : StrictPolicy);
            headers.TryAdd("Cache-Control", "no-store");
            return Task.CompletedTask;
        }, context);

        return next(context);
    }
}
