namespace Latchkey.Server.Sessions;

/// <summary>
/// A way of telling applications, server to server, that an SSO session has ended. When a session ends,
/// every registered channel is asked which of its participants it must notify (<see cref="PlanAsync"/>);
/// those notifications are stored as <see cref="LogoutDelivery"/> rows in the same transaction and sent
/// later by <see cref="LogoutDeliveryWorker"/> through <see cref="DeliverAsync"/>, with retries.
/// </summary>
/// <remarks>
/// Registered: <see cref="OidcBackChannelLogout"/> (OpenID Connect Back-Channel Logout 1.0) and
/// <see cref="SimpleSsoBackChannelLogout"/> (Latchkey's signed extension of simple-sso, honoured by our .NET
/// client; django-simple-sso clients cannot receive one). Add another as an implementation registered with
/// <c>services.AddScoped&lt;ISingleLogoutChannel, ...&gt;()</c>.
/// </remarks>
public interface ISingleLogoutChannel
{
    /// <summary>Stored in <see cref="LogoutDelivery.Channel"/>; stable across releases.</summary>
    string Name { get; }

    /// <summary>The notifications this channel owes for an ended session (empty when none of its participants asked for one).</summary>
    Task<IReadOnlyList<LogoutTarget>> PlanAsync(SsoSession session, IReadOnlyList<SsoSessionParticipant> participants, CancellationToken ct);

    /// <summary>Sends one notification. Must not throw for receiver failures: report them as a result.</summary>
    Task<LogoutDeliveryResult> DeliverAsync(LogoutDelivery delivery, CancellationToken ct);
}

/// <summary>One application to notify, and where.</summary>
public sealed record LogoutTarget(string ClientId, string Endpoint);

/// <summary>What a delivery attempt achieved. <paramref name="Retry"/> false means retrying cannot help.</summary>
public sealed record LogoutDeliveryResult(bool Delivered, bool Retry, string? Error)
{
    public static LogoutDeliveryResult Success { get; } = new(true, false, null);

    public static LogoutDeliveryResult TransientFailure(string error) => new(false, true, error);

    public static LogoutDeliveryResult PermanentFailure(string error) => new(false, false, error);

    /// <summary>
    /// Sends a notification and classifies the answer: 5xx, 408, 429 and network failures are worth retrying,
    /// any other refusal is not (the receiver understood and said no).
    /// </summary>
    public static async Task<LogoutDeliveryResult> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var response = await client.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return Success;
            }

            var error = $"HTTP {(int)response.StatusCode}";
            return (int)response.StatusCode >= 500 || response.StatusCode is System.Net.HttpStatusCode.RequestTimeout or System.Net.HttpStatusCode.TooManyRequests
                ? TransientFailure(error)
                : PermanentFailure(error);
        }
        catch (HttpRequestException exception)
        {
            return TransientFailure(exception.HttpRequestError == HttpRequestError.Unknown
                ? "request failed"
                : "request failed: " + exception.HttpRequestError);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return TransientFailure("timed out");
        }
    }
}
