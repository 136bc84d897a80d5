using System.Security.Claims;
using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Hosting;
using Latchkey.Server.Oidc;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Pages.Connect;

/// <summary>
/// The authorization endpoint after OpenIddict validated the request (client, redirect_uri, PKCE, PAR,
/// id_token_hint): decides whether the browser's SSO session may answer it, whether the user must sign
/// in again, and whether consent is needed; then issues the code. Antiforgery is checked by hand, and
/// only on a consent decision: clients may legitimately POST authorization requests.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[PermitCrossOriginFormRedirects]
public sealed class AuthorizeModel(
    IOpenIddictApplicationManager applications,
    UserManager<LatchkeyUser> users,
    OidcPrincipalFactory principals,
    OidcConsents consents,
    OidcSessionLink sessions,
    AppSignInGate gate,
    IAntiforgery antiforgery,
    TimeProvider time) : PageModel
{
    public const string AcceptField = "submit.Accept";

    public const string DenyField = "submit.Deny";

    public string ClientName { get; private set; } = "";

    public IReadOnlyList<string> RequestedScopes { get; private set; } = [];

    /// <summary>The request's own parameters, re-posted with the consent decision.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestParameters { get; private set; } = [];

    public Task<IActionResult> OnGetAsync() => HandleAsync();

    public Task<IActionResult> OnPostAsync() => HandleAsync();

    private async Task<IActionResult> HandleAsync()
    {
        var ct = HttpContext.RequestAborted;
        var request = HttpContext.GetOpenIddictServerRequest();
        if (request is null)
        {
            return BadRequest();
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!, ct);
        if (application is null)
        {
            return Error(Errors.InvalidClient, "The client application is unknown.");
        }

        var cookie = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = cookie.Succeeded ? await users.GetUserAsync(cookie.Principal!) : null;
        user = user is { IsActive: true } ? user : null;
        var facts = user is null ? null : OidcSessionFacts.FromCookie(cookie.Principal!, cookie.Properties?.IssuedUtc, time.GetUtcNow());

        // OpenIddict checks a hint only when asked; a hint that is not one of our ID tokens is a bad request.
        var hintSubject = await IdTokenHintSubjectAsync(request);
        if (!string.IsNullOrEmpty(request.IdTokenHint) && hintSubject is null)
        {
            return Error(Errors.InvalidRequest, "The id_token_hint is not a valid ID token issued by this server.");
        }

        // A consent decision answers a page shown right after max_age was checked; checking again would send a
        // slow reader back to the login page in a loop. The antiforgery check below binds it to this session.
        var decisionPosted = Request.HasFormContentType && (Request.Form.ContainsKey(AcceptField) || Request.Form.ContainsKey(DenyField));
        var reason = user is null ? "no session" : WhyReauthenticate(request, user, facts!, hintSubject, checkMaxAge: !decisionPosted);
        if (reason is not null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Error(Errors.LoginRequired, reason == "no session" ? "The user is not signed in." : "The user must sign in again.");
            }

            return RedirectToLogin(request);
        }

        // Per-app policy: a client (or this request's acr_values) requiring MFA steps a single-factor session up first.
        var requestsMfa = (request.AcrValues ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(OidcAuthenticationMethods.AcrMultiFactor);
        var gateDecision = await gate.CheckAsync(new AppReference(AppProtocols.Oidc, request.ClientId!) { RequestsMfa = requestsMfa }, cookie.Principal!, ct);
        if (gateDecision != AppGateDecision.Allow)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return gateDecision == AppGateDecision.Reauthenticate
                    ? Error(Errors.LoginRequired, "The user must sign in again.")
                    : Error(Errors.InteractionRequired, "This client requires multi-factor authentication, which needs the user.");
            }

            var here = QueryHelpers.AddQueryString(Request.PathBase + Request.Path, OriginalParameters().Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
            return Redirect(Request.PathBase + AppSignInGate.RedirectFor(gateDecision, here));
        }

        var subject = user!.Id.ToString("D");
        var scopes = request.GetScopes();
        var firstParty = await consents.IsFirstPartyAsync(application, ct);
        var remembered = firstParty ? null : await consents.FindCoveringAsync(subject, application, scopes, ct);
        var decision = decisionPosted ? Request.Form.ContainsKey(AcceptField) : (bool?)null;

        if (decision is not null)
        {
            if (firstParty || !await antiforgery.IsRequestValidAsync(HttpContext))
            {
                return BadRequest();
            }

            if (decision == false)
            {
                return Error(Errors.AccessDenied, "The user denied the authorization request.");
            }
        }
        else if (!firstParty && (remembered is null || request.HasPromptValue(PromptValues.Consent)))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Error(Errors.ConsentRequired, "The user has not consented to this client.");
            }

            ClientName = await applications.GetLocalizedDisplayNameAsync(application, ct) ?? request.ClientId!;
            RequestedScopes = [.. scopes];
            RequestParameters = [.. OriginalParameters()];
            return Page();
        }

        var principal = await principals.CreateForUserAsync(user, scopes, facts, ct);
        if (decision == true)
        {
            remembered ??= await consents.RememberAsync(principal, subject, application, scopes, ct);
        }

        if (remembered is not null)
        {
            principal.SetAuthorizationId(await OpenIddictAuthorizationId(remembered, ct));
        }

        await sessions.RecordParticipantAsync(facts!.SessionId, request.ClientId!, ct);
        return SignIn(principal, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private Task<string?> OpenIddictAuthorizationId(object authorization, CancellationToken ct) =>
        HttpContext.RequestServices.GetRequiredService<IOpenIddictAuthorizationManager>().GetIdAsync(authorization, ct).AsTask();

    // Null when the session may answer; otherwise why not.
    private string? WhyReauthenticate(OpenIddictRequest request, LatchkeyUser user, OidcSessionFacts facts, string? hintSubject, bool checkMaxAge)
    {
        if (request.HasPromptValue(PromptValues.Login))
        {
            return "prompt=login";
        }

        // Strictly greater: right after a sign-in (elapsed 0) even max_age=0 is satisfied, so no loop.
        if (checkMaxAge && request.MaxAge is { } maxAge && time.GetUtcNow() - facts.AuthenticatedAt > TimeSpan.FromSeconds(maxAge))
        {
            return "max_age exceeded";
        }

        if (hintSubject is not null && !string.Equals(hintSubject, user.Id.ToString("D"), StringComparison.Ordinal))
        {
            return "id_token_hint names another user";
        }

        return null;
    }

    private async Task<string?> IdTokenHintSubjectAsync(OpenIddictRequest request)
    {
        if (string.IsNullOrEmpty(request.IdTokenHint))
        {
            return null;
        }

        // At this endpoint, authenticating OpenIddict's scheme validates the id_token_hint (signature, issuer, type).
        var hint = await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return hint.Principal?.GetClaim(Claims.Subject);
    }

    private IActionResult RedirectToLogin(OpenIddictRequest request)
    {
        // prompt=login is satisfied by the sign-in that follows, so the return trip must not ask again.
        var parameters = OriginalParameters()
            .Where(p => !(p.Key == Parameters.Prompt && p.Value.Split(' ').Contains(PromptValues.Login)))
            .ToList();
        var prompt = request.Prompt?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(v => v != PromptValues.Login).ToArray();
        if (prompt is { Length: > 0 } && request.HasPromptValue(PromptValues.Login))
        {
            parameters.Add(new(Parameters.Prompt, string.Join(' ', prompt)));
        }

        var returnUrl = QueryHelpers.AddQueryString(Request.PathBase + Request.Path, parameters.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
        var login = QueryHelpers.AddQueryString("/account/login", "returnUrl", returnUrl);
        if (!string.IsNullOrEmpty(request.LoginHint))
        {
            login = QueryHelpers.AddQueryString(login, "login_hint", request.LoginHint);
        }

        return Redirect(Request.PathBase + login);
    }

    private IEnumerable<KeyValuePair<string, string>> OriginalParameters()
    {
        var source = Request.HasFormContentType ? (IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>)Request.Form : Request.Query;
        foreach (var (key, values) in source)
        {
            if (key is AcceptField or DenyField || key.StartsWith("__", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var value in values)
            {
                yield return new(key, value ?? "");
            }
        }
    }

    private ForbidResult Error(string error, string description) =>
        Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
