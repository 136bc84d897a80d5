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

    public List<ConsumerKey> Keys { get; set; } = [];
}
