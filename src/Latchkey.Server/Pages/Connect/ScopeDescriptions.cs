namespace Latchkey.Server.Pages.Connect;

/// <summary>What a scope means, in words a user can judge.</summary>
public static class ScopeDescriptions
{
    public static string Describe(string scope) => scope switch
    {
        "openid" => "Know who you are (your user id)",
        "profile" => "Your name and username",
        "email" => "Your email address",
        "roles" => "Your roles",
        "offline_access" => "Stay connected when you are not using it",
        _ => scope,
    };
}
