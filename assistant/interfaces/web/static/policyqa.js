// The page's own script, served as a file: the page's Content-Security-Policy runs no inline
// script and no eval. It keeps a new answer in view from its top (the chat would scroll to
// the bottom of its citation cards) and makes each answer's copy button copy that answer.
(() => {
  const watch = () => {
    const chat = document.querySelector('#chat');
    if (!chat) { setTimeout(watch, 300); return; }
    let seen = 0;
    new MutationObserver(() => {
      const rows = chat.querySelectorAll('.bot-row');
      if (rows.length > seen && rows[rows.length - 1].querySelector('.pq-answer, .pq-abstain')) {
        seen = rows.length;
        setTimeout(() => rows[rows.length - 1].scrollIntoView({block: 'start'}), 150);
      }
    }).observe(chat, {childList: true, subtree: true});
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', watch);
  } else {
    watch();
  }
  // "Show the page" of a citation card: its hidden reference goes to the hidden #page-ref box and
  // the hidden #page-go button asks the server for the page image (the server checks the reference).
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('.pq-show-page');
    if (!button) return;
    const ref = button.parentElement && button.parentElement.querySelector('.pq-pageref');
    const box = document.querySelector('#page-ref textarea, #page-ref input');
    const go = document.querySelector('#page-go');
    if (!ref || !box || !go) return;
    box.value = ref.textContent;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => {
      go.click();
      const image = document.querySelector('#page-image');
      if (image) image.scrollIntoView({block: 'nearest'});
    }, 50);
  });
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('.pq-copy');
    if (!button) return;
    // The answer's plain text travels in the message itself, in a hidden <pre>.
    const holder = button.closest('.pq-message') || button.parentElement;
    const plain = holder && holder.querySelector('.pq-plain');
    if (!plain) return;
    const done = () => { button.textContent = '已复制 Copied'; };
    const failed = () => { button.textContent = '复制失败 Copy failed'; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(plain.textContent).then(done, failed);
    }
  });
})();
