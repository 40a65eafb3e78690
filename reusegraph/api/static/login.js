// The login bar of every page. Logging in keeps the token on the server; the page only
// carries the session cookie. Calls onReady(loggedIn) once the state is known.
window.reusegraphLogin = function (bar, onReady) {
  fetch("/auth/providers").then((r) => r.json()).then(({ providers, loggedIn }) => {
    if (loggedIn) {
      const form = document.createElement("form");
      form.method = "post"; form.action = "/auth/logout"; form.style.display = "inline";
      const button = document.createElement("button");
      button.type = "submit"; button.textContent = "Log out";
      form.append(button);
      const state = document.createElement("span");
      state.className = "logged-in"; state.textContent = "Logged in";
      bar.append(state, form);
    } else {
      for (const name of providers) {
        const link = document.createElement("a");
        link.href = "/auth/login/" + encodeURIComponent(name);
        link.textContent = "Log in (" + name + ")";
        bar.append(link);
      }
    }
    if (onReady) onReady(loggedIn);
  });
};
