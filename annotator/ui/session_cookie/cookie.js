// Conflict Annotator login cookie (Streamlit components v2): Streamlit reads cookies
// (st.context.cookies) but has no way to set one, so this element writes the cookie the server
// asks for, or clears the one it found ended. It draws nothing.
//
// The token is URL-safe base64 (checked on the server before it is sent), so it goes into the
// cookie as it is. SameSite=Strict: no other site's page or link can send it along.

function attributes() {
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  return `; Path=/; SameSite=Strict${secure}`;
}

function current(name) {
  for (const pair of document.cookie.split("; ")) {
    const cut = pair.indexOf("=");
    if (pair.slice(0, cut) === name) return pair.slice(cut + 1);
  }
  return null;
}

export default function sessionCookie(component) {
  const { name, token, max_age: maxAge, ended } = component.data || {};
  if (!name) return;
  if (token) {
    document.cookie = `${name}=${token}${attributes()}; Max-Age=${maxAge}`;
  } else if (ended && current(name) === ended) {
    // Only the ended token: another tab may have logged in since and written a new one.
    document.cookie = `${name}=${attributes()}; Max-Age=0`;
  }
}
