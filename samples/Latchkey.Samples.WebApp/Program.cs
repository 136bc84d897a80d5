// Latchkey sample client site: signs users in through a Latchkey (or django-simple-sso) server with AddSimpleSso.
//
// Run two instances on two loopback addresses (two "hosts", so two cookie jars) against a Latchkey server on
// http://127.0.0.1:5000, from the repository root:
//
//   dotnet run --project src/Latchkey.Server -- consumers add app1 --redirect-origin http://127.0.0.2:5002
//   dotnet run --project src/Latchkey.Server -- consumers add app2 --redirect-origin http://127.0.0.3:5003
//   (each prints a public and a private key once; use them below)
//
//   dotnet run --project samples/Latchkey.Samples.WebApp -- --urls http://127.0.0.2:5002 \
//       --Sample:Name "App One" --SimpleSso:ServerUrl http://127.0.0.1:5000/sso/ \
//       --SimpleSso:PublicKey <app1 public key> --SimpleSso:PrivateKey <app1 private key>
//
//   dotnet run --project samples/Latchkey.Samples.WebApp -- --urls http://127.0.0.3:5003 \
//       --Sample:Name "App Two" --SimpleSso:ServerUrl http://127.0.0.1:5000/sso/ \
//       --SimpleSso:PublicKey <app2 public key> --SimpleSso:PrivateKey <app2 private key>
//
// To keep the private key off the command line, set it in the environment instead:
//   SimpleSso__PrivateKey=<key> dotnet run --project samples/Latchkey.Samples.WebApp -- --urls ...
//
// Then open http://127.0.0.2:5002/private, sign in on Latchkey, and open http://127.0.0.3:5003/private:
// the second site signs you in without showing the login form.
//
// Single logout: register each app's back-channel URL, e.g.
//   dotnet run --project src/Latchkey.Server -- consumers update app1 --backchannel-logout-url http://127.0.0.2:5002/sso/backchannel-logout/
// then "Sign out" on one app signs you out of Latchkey and, within seconds, of the other app too.
using Latchkey.Client.AspNetCore;
using Latchkey.Samples.WebApp;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOptions<SampleOptions>().BindConfiguration("Sample").ValidateDataAnnotations().ValidateOnStart();
var sample = builder.Configuration.GetSection("Sample").Get<SampleOptions>() ?? new SampleOptions();

builder.Services
    .AddAuthentication(options =>
    {
        options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.DefaultChallengeScheme = SimpleSsoDefaults.AuthenticationScheme;
    })
    .AddCookie(options =>
    {
        // Cookies are per host, not per port: the name keeps instances apart even on one host.
        options.Cookie.Name = ".Latchkey.Sample." + sample.CookieSafeName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
    })
    .AddSimpleSso(options =>
    {
        builder.Configuration.GetSection("SimpleSso").Bind(options);
        options.CorrelationCookie.Name = ".Latchkey.Sample." + sample.CookieSafeName + ".Correlation.";
    });
builder.Services.AddAuthorization();
builder.Services.AddAntiforgery(options => options.Cookie.Name = ".Latchkey.Sample." + sample.CookieSafeName + ".Antiforgery");

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/", (HttpContext context, IOptions<SampleOptions> options, IAntiforgery antiforgery) =>
    SamplePages.Home(context, options.Value, antiforgery));

app.MapGet("/private", (HttpContext context, IOptions<SampleOptions> options, IAntiforgery antiforgery) =>
    SamplePages.Private(context, options.Value, antiforgery)).RequireAuthorization();

app.MapGet("/logout", (HttpContext context, IOptions<SampleOptions> options, IAntiforgery antiforgery) =>
    SamplePages.ConfirmLogout(context, options.Value, antiforgery));

// Against Latchkey: sign out here AND end the SSO session (the browser goes to Latchkey's logout endpoint and comes back
// to "/"; every other app that took part is told). Against django-simple-sso (Sample:SingleLogout=false): local only.
// Sessions ended elsewhere arrive at /sso/backchannel-logout/ (register it with --backchannel-logout-url).
app.MapPost("/logout", async (HttpContext context, IAntiforgery antiforgery, IOptions<SampleOptions> options) =>
{
    if (!await antiforgery.IsRequestValidAsync(context))
    {
        return Results.Text("Invalid or missing antiforgery token.", statusCode: StatusCodes.Status400BadRequest);
    }

    await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    if (options.Value.SingleLogout && context.User.Identity?.IsAuthenticated == true)
    {
        await context.SignOutAsync(SimpleSsoDefaults.AuthenticationScheme, new AuthenticationProperties { RedirectUri = "/" });
        return Results.Empty;
    }

    return Results.Redirect("/");
});

app.Run();

/// <summary>Entry point; public so tests can host the sample with WebApplicationFactory.</summary>
public partial class Program;
