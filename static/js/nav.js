// The main menu folds behind a button on a phone (issue 13: at 360 px it took four lines before any
// content). CSS decides by width whether the button shows; this only wires it. Without script the
// menu stays unfolded.
export function foldMenu(nav) {
  const button = nav.querySelector(".nav-toggle");
  if (!button) return;
  nav.classList.add("folded");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
}

const nav = document.querySelector(".mainnav");
if (nav) foldMenu(nav);
