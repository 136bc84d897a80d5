namespace Latchkey.Server.Storage;

/// <summary>A simple-sso client application: the seed system's <c>Consumer</c>, plus redirect origins and key history.</summary>
public sealed class Consumer
{
    public Guid Id { get; set; }

    /// <summary>Unique, human-chosen name (at most 255 characters, as in django-simple-sso).</summary>
    public required string Name { get; set; }

    /// <summary>Origins (<c>scheme://host[:port]</c>) that <c>redirect_to</c> must lie under. Exact origin match.</summary>
    public List<string> RedirectOrigins { get; set; } = [];

    /// <summary>Value sent as <c>is_staff</c> in the user payload; false by default so server admins are not client admins.</summary>
    public bool GrantStaff { get; set; }

    /// <summary>Value sent as <c>is_superuser</c>; false by default.</summary>
    public bool GrantSuperuser { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>This app requires a multi-factor session: a single-factor session is stepped up before it gets a login.</summary>
    public bool RequireMfa { get; set; }

    /// <summary>Tighter than the global session lifetime: a session authenticated longer ago than this must sign in again before this app gets a login.</summary>
    public TimeSpan? MaxSessionAge { get; set; }

    /// <summary>
    /// Latchkey's single-logout extension (clients built on <c>Latchkey.Client.AspNetCore</c> only): where the server POSTs a
    /// signed logout notice when a session this consumer took part in ends. Must lie under <see cref="RedirectOrigins"/>.
    /// Setting it also adds <c>sso_session</c> to verify answers, which django-simple-sso clients cannot digest.
    /// </summary>
    public string? BackChannelLogoutUrl { get; set; }

    public List<ConsumerKey> Keys { get; set; } = [];
}
