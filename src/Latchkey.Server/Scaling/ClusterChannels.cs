namespace Latchkey.Server.Scaling;

/// <summary>The channel names every node agrees on, and what their message is.</summary>
public static class ClusterChannels
{
    /// <summary>An SSO session ended; message: the session id (<c>Guid</c> "D" format).</summary>
    public const string SessionEnded = "session-ended";

    /// <summary>The OIDC signing/encryption key table changed; message: anything (e.g. the new kid).</summary>
    public const string KeysChanged = "keys-changed";

    /// <summary>An OIDC client was changed or removed; message: its client_id.</summary>
    public const string ClientChanged = "client-changed";

    /// <summary>A simple-sso consumer or one of its keys was changed or removed; message: the consumer name.</summary>
    public const string ConsumerChanged = "consumer-changed";

    /// <summary>Delivered locally on every channel after a lost Redis connection comes back: drop every entry.</summary>
    public const string AllEntries = "*";

    /// <summary>Channel names are short lowercase words joined by '-', so they can be framed without escaping.</summary>
    public static bool IsValidName(string? channel) =>
        !string.IsNullOrEmpty(channel) && channel.Length <= 64
        && channel.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.');
}
