//! The running side of persistence: opens the database at start, brings the
//! session back, and drains the journal into IndexedDB while the app runs.
//! Every failure turns into a notice; the app always keeps running from memory.

use super::db::Database;
use super::db::{self, Loaded, OpenError};
use super::journal::Journal;
use super::session::Session;
use crate::playback::Model;
use crate::state::Msg;
use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::timers::callback::Timeout;
use monscope_core::time::Time;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

/// Real milliseconds between two writes: playback moves the playhead every
/// frame, and one IndexedDB transaction per ~quarter second carries it all.
const FLUSH_EVERY_MS: u32 = 250;

/// Real milliseconds a flush spends at most catching the journal up on a
/// long step (a slice of `journal.rs`'s FOLLOW_STEP events at a time); the
/// next slice runs after the next frame (`schedule_slice`), so that a seek
/// waits behind one slice at most and its frame behind none.
const SLICE_MS: f64 = 4.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    /// "error" (something is not saved) or "info".
    pub kind: &'static str,
    pub text: String,
}

/// What the views show of persistence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StorageView {
    /// The database is open and writes succeed.
    pub saving: bool,
    pub notices: Vec<Notice>,
    /// Everything shown is on disk, if the page still shows `at`.
    pub flushed: bool,
    /// The run (its model's id) and playhead that `flushed` is of: the last
    /// render noted. The render that moves the playhead comes before its
    /// note (an effect, which yew may run after a frame), so the disk panel
    /// compares with what it shows (`storage_notice::disk`).
    /// (0 for no run: ids start at 1.)
    pub at: (u64, Time),
    /// Records in the journal (the stores' transactions since the last compaction).
    pub journal: u64,
    /// IndexedDB transactions committed since the page opened.
    pub batches: u64,
    /// Journal records waiting for the next write.
    pub pending: usize,
    /// Per monitor on disk: (name, keys as "prefix/key"); shared, so that
    /// a view published again is compared and copied at once.
    pub stores: Rc<Vec<(String, Vec<String>)>>,
    /// The session a link replaced, which "restore" brings back.
    pub previous: Option<Rc<Session>>,
    /// My scenarios: (name, text), by name.
    pub mine: Vec<(String, String)>,
}

/// A change to my scenarios.
pub enum Op {
    /// `replace` false: an existing name is an error.
    Save {
        name: String,
        text: String,
        replace: bool,
    },
    Rename {
        old: String,
        new: String,
        text: String,
    },
    Delete {
        name: String,
    },
}

/// How the page was opened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Entry {
    /// Plain: bring the stored session back.
    Stored,
    /// A share link or `?scenario=`: it wins, the stored session is kept aside.
    Link,
}

/// The link has been opened and its session is saved from now on: drop it
/// from the address, so that a reload brings back the session (with the
/// user's changes) instead of opening the link afresh. An imported history
/// keeps `#imported` while it is shown, so that a reload reads the logs
/// again, not the inferred replay; [`forget_address`] drops it once the
/// view becomes a replay.
fn forget_link() {
    if crate::app::hash() != crate::imported::HASH {
        forget_address();
    }
}

/// Drop the link from the address (see [`forget_link`]).
pub fn forget_address() {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_else(|_| "/".into());
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
    }
}

#[derive(Default)]
struct Inner {
    db: Option<Rc<Database>>,
    /// Writing failed: nothing more is tried until a reload.
    failed: bool,
    journal: Journal,
    /// The journal read back at start, to check against the replayed run.
    to_check: Option<Journal>,
    want: Option<(Rc<Model>, Time, Session)>,
    saved: Option<Session>,
    /// The texts on disk of the session and of the journal's position
    /// (db.rs, `texts`): a write puts a text only when it is another.
    texts: [Option<Rc<String>>; 2],
    busy: bool,
    timer: Option<Timeout>,
    /// The next slice of a catch-up, waiting for a frame (`schedule_slice`).
    frame: Option<AnimationFrame>,
    /// Renders that moved what is wanted (`note`), and how many of them
    /// there were at the last frame a flush waited for.
    noted: u64,
    drawn: u64,
    next_notice: u64,
    view: StorageView,
    /// The view last published: the page renders again only for a new one
    /// (a journal catching up on a long seek flushes a slice a task).
    published: Option<StorageView>,
}

pub struct Storage {
    inner: RefCell<Inner>,
    publish: Callback<StorageView>,
    dispatch: Callback<Msg>,
    /// The scenario text in the app's state now, rendered or not, and
    /// whether the reader has moved the view since the start
    /// ([`crate::state::AppState::viewed`]).
    now: Callback<(), (Rc<String>, bool)>,
}

impl Storage {
    pub fn new(
        publish: Callback<StorageView>,
        dispatch: Callback<Msg>,
        now: Callback<(), (Rc<String>, bool)>,
    ) -> Rc<Storage> {
        Rc::new(Storage {
            inner: RefCell::new(Inner::default()),
            publish,
            dispatch,
            now,
        })
    }

    fn publish(&self) {
        let view = {
            let mut i = self.inner.borrow_mut();
            let flushed = i.db.is_some()
                && !i.busy
                && i.journal.flushed()
                && i.want.as_ref().map(|w| &w.2) == i.saved.as_ref()
                && i.want.as_ref().is_some_and(|w| {
                    i.journal.is_text(&w.0.text) && w.1.min(w.0.end) == i.journal.t
                });
            i.view.flushed = flushed;
            i.view.at = i.want.as_ref().map_or((0, 0), |w| (w.0.id, w.1));
            i.view.saving = i.db.is_some() && !i.failed;
            i.view.pending = i.journal.pending();
            i.view.journal = i.journal.records();
            if i.published.as_ref() == Some(&i.view) {
                return;
            }
            i.published = Some(i.view.clone());
            i.view.clone()
        };
        self.publish.emit(view);
    }

    pub fn notice(&self, kind: &'static str, text: String) -> u64 {
        let id = {
            let mut i = self.inner.borrow_mut();
            i.next_notice += 1;
            let id = i.next_notice;
            i.view.notices.push(Notice { id, kind, text });
            id
        };
        self.publish();
        id
    }

    pub fn dismiss(&self, id: u64) {
        self.inner.borrow_mut().view.notices.retain(|n| n.id != id);
        self.publish();
    }

    fn db(&self) -> Option<Rc<Database>> {
        self.inner.borrow().db.clone()
    }

    /// Open the database and bring back what it holds. Runs once, at start.
    pub fn boot(self: &Rc<Self>, entry: Entry) {
        let me = self.clone();
        spawn_local(async move {
            let weak = Rc::downgrade(&me);
            let blocked_notice = Rc::new(std::cell::Cell::new(None));
            let b = blocked_notice.clone();
            let blocked = move || {
                if let Some(me) = weak.upgrade() {
                    b.set(Some(me.notice(
                        "error",
                        format!("Not saving yet: {}.", OpenError::Blocked),
                    )));
                }
            };
            match db::open(blocked).await {
                Ok(db) => {
                    // The other tab let go: the notice no longer holds.
                    if let Some(id) = blocked_notice.take() {
                        me.dismiss(id);
                    }
                    me.opened(db, entry).await
                }
                Err(e) => {
                    me.notice(
                        "error",
                        format!(
                            "Nothing will be saved (session, monitor stores, my scenarios): {e}. \
                             monscope keeps working from memory."
                        ),
                    );
                }
            }
        });
    }

    async fn opened(self: &Rc<Self>, db: Database, entry: Entry) {
        // Another tab upgrading the schema: let go of the database, say so.
        let weak: Weak<Storage> = Rc::downgrade(self);
        let on_version_change =
            wasm_bindgen::closure::Closure::once_into_js(move |_: web_sys::Event| {
                if let Some(me) = weak.upgrade() {
                    if let Some(db) = me.inner.borrow_mut().db.take() {
                        db.close();
                    }
                    me.notice(
                        "error",
                        "A newer monscope in another tab upgraded the database: this tab stopped \
                     saving. Reload it to save again."
                            .into(),
                    );
                }
            });
        db.set_onversionchange(Some(wasm_bindgen::JsCast::unchecked_ref(
            &on_version_change,
        )));
        let loaded = match db::load(&db).await {
            Ok(l) => l,
            Err(e) => {
                self.notice(
                    "error",
                    format!(
                        "The saved session could not be read ({}); nothing will be saved.",
                        db::describe(&e)
                    ),
                );
                return;
            }
        };
        let db = Rc::new(db);
        let Loaded {
            session,
            previous,
            position,
            records,
            problems,
        } = loaded;
        if !problems.is_empty() {
            self.notice(
                "error",
                format!(
                    "{} stored record(s) could not be read and were set aside (IndexedDB store \
                     \"quarantine\"): {}",
                    problems.len(),
                    problems.join("; ")
                ),
            );
        }
        // The reader changed the scenario while the database was opening: their
        // change stays, and the stored session is kept aside as a link's would be.
        // Read from the app's state, not from what was rendered or noted: a text
        // typed is noted only once its run is simulated, and even its render
        // can come after the database's answer (yew yields to the browser
        // between a long render and its effects).
        // So does a move of the view (a seek, play, a selection): restoring
        // would take it back.
        let (now_text, viewed) = self.now.emit(());
        let typed = session.as_ref().is_some_and(|s| {
            *now_text != *s.text && *now_text != monscope_core::scenario::library::BUILTIN[0].1
        });
        let edited = typed || viewed;
        match (entry, session) {
            (Entry::Stored, Some(s)) if edited => {
                let kept = match db::keep_previous(&db, &s).await {
                    Ok(()) => "it is kept",
                    Err(_) => "it could not be kept aside",
                };
                self.inner.borrow_mut().view.previous = Some(Rc::new(s));
                self.notice(
                    "info",
                    format!(
                        "You changed {} before your last session was read: your change stays ({kept}; \"Restore previous session\" brings it back).",
                        if typed { "the scenario" } else { "the view" }
                    ),
                );
            }
            (Entry::Stored, Some(s)) => {
                if let Some(p) = position {
                    match Journal::from_disk(&p.text, p.t, &records) {
                        Ok(j) => self.inner.borrow_mut().to_check = Some(j),
                        Err(e) => {
                            self.notice(
                                "error",
                                format!("The stored monitor stores could not be replayed: {e}"),
                            );
                        }
                    }
                }
                self.dispatch.emit(Msg::Restore(Rc::new(s)));
            }
            // A reload of what the session already holds (an imported
            // history's address): nothing to keep aside. (The state's text:
            // what a render noted may not be there yet, as above.)
            (Entry::Link, Some(s)) if *now_text == *s.text => {
                forget_link();
            }
            (Entry::Link, Some(s)) => {
                let kept = match db::keep_previous(&db, &s).await {
                    Ok(()) => "it is kept",
                    Err(_) => "it could not be kept aside",
                };
                self.inner.borrow_mut().view.previous = Some(Rc::new(s));
                forget_link();
                self.notice(
                    "info",
                    format!("Opened the link instead of your last session ({kept}; \"Restore previous session\" brings it back)."),
                );
            }
            (_, None) => {
                if let Some(p) = previous {
                    self.inner.borrow_mut().view.previous = Some(Rc::new(p));
                }
                if entry == Entry::Link {
                    forget_link();
                }
            }
        }
        self.inner.borrow_mut().db = Some(db);
        // Leaving the page: write what is pending now, not in up to 250 ms.
        let weak = Rc::downgrade(self);
        let leave =
            gloo::events::EventListener::new(&gloo::utils::window(), "pagehide", move |_| {
                if let Some(me) = weak.upgrade() {
                    let mut i = me.inner.borrow_mut();
                    (i.timer, i.frame) = (None, None);
                    drop(i);
                    me.flush();
                }
            });
        leave.forget();
        self.refresh_scenarios().await;
        self.schedule(0);
    }

    /// The app's state after a render: what should be on disk.
    pub fn note(self: &Rc<Self>, model: Option<Rc<Model>>, t: Time, session: Session) {
        let Some(model) = model else { return };
        {
            let mut i = self.inner.borrow_mut();
            if i.want
                .as_ref()
                .is_some_and(|w| Rc::ptr_eq(&w.0, &model) && w.1 == t && w.2 == session)
            {
                return;
            }
            i.want = Some((model, t, session));
            i.noted += 1;
            if !std::mem::take(&mut i.view.flushed) {
                drop(i);
                self.schedule(FLUSH_EVERY_MS);
                return;
            }
        }
        // Say at once that what is shown is not on disk yet.
        self.publish();
        self.schedule(FLUSH_EVERY_MS);
    }

    /// A flush in `ms`, in a task after a frame (`schedule_slice`) that
    /// drew every render before it. A flush is a few ms (a slice of a
    /// catch-up, the write, the page's render of the storage view): at the
    /// timer's own moment, or in the task after a frame when an input came
    /// first (the browser runs input before timers), it fell between a
    /// seek's input and its frame, and the seek waited for it. Deferred so,
    /// it waits while seeks come between frames, not while playing (a
    /// frame's own render is drawn in it).
    fn schedule(self: &Rc<Self>, ms: u32) {
        let mut i = self.inner.borrow_mut();
        if i.timer.is_some() || i.frame.is_some() || i.busy {
            return;
        }
        let me = self.clone();
        i.timer = Some(Timeout::new(ms, move || {
            let mut i = me.inner.borrow_mut();
            i.timer = None;
            let undrawn = i.noted != i.drawn;
            drop(i);
            match ms > 0 || undrawn {
                true => me.schedule_slice(),
                false => me.flush(),
            }
        }));
    }

    /// The next slice of a catch-up (and every flush, `schedule`): in the
    /// task after the next frame. Run
    /// at once, slices of the hour's catch-up ran back to back for seconds
    /// after a seek, and the next seek's frame waited behind one or two.
    /// A hidden page draws no frames: there it runs at once.
    fn schedule_slice(self: &Rc<Self>) {
        let mut i = self.inner.borrow_mut();
        if gloo::utils::document().hidden() {
            i.drawn = i.noted;
            drop(i);
            return self.schedule(0);
        }
        if i.timer.is_some() || i.frame.is_some() || i.busy {
            return;
        }
        let me = self.clone();
        i.frame = Some(request_animation_frame(move |_| {
            let mut i = me.inner.borrow_mut();
            i.frame = None;
            i.drawn = i.noted;
            drop(i);
            me.schedule(0);
        }));
    }

    /// Check a restored journal once the restored run is shown.
    fn check_restored(&self) {
        let mut i = self.inner.borrow_mut();
        let Some((model, t, _)) = i.want.clone() else {
            return;
        };
        let Some(mut restored) = i.to_check.take() else {
            return;
        };
        if !restored.is_text(&model.text) || restored.t != t.min(model.end) {
            // The run shown is not the restored one yet (it may not parse).
            i.to_check = Some(restored);
            return;
        }
        let report = restored.check_against(&model, &model.sim_at(restored.t));
        if report.is_empty() {
            i.journal = restored;
            drop(i);
            self.notice(
                "info",
                "Session restored; the monitors' stores read back match the replayed run.".into(),
            );
        } else {
            drop(i);
            self.notice(
                "error",
                format!(
                    "The restored monitor stores differ from the replayed run (the replay is shown, and its stores are saved over them): {}",
                    report.join(" | ")
                ),
            );
        }
    }

    fn flush(self: &Rc<Self>) {
        if self.inner.borrow().to_check.is_some() {
            self.check_restored();
        }
        let (db, batch, session, new) = {
            let mut i = self.inner.borrow_mut();
            let Some(db) = i.db.clone() else { return };
            if i.busy || i.failed {
                return;
            }
            let Some((model, t, session)) = i.want.clone() else {
                return;
            };
            let start = js_sys::Date::now();
            loop {
                i.journal.follow(&model, t, || model.sim_at(t));
                if !i.journal.behind() || js_sys::Date::now() - start >= SLICE_MS {
                    break;
                }
            }
            let batch = i.journal.take_batch();
            let session = (i.saved.as_ref() != Some(&session)).then_some(session);
            if batch.is_none() && session.is_none() {
                let behind = i.journal.behind();
                drop(i);
                self.publish();
                if behind {
                    self.schedule_slice();
                }
                return;
            }
            // Compared by pointer first (Rc's `==`), the text itself only then.
            let another = |on_disk: &Option<Rc<String>>, text| on_disk.as_ref() != Some(text);
            let new = db::NewTexts {
                session: session
                    .as_ref()
                    .is_some_and(|s| another(&i.texts[0], &s.text)),
                position: batch
                    .as_ref()
                    .is_some_and(|b| another(&i.texts[1], &b.text)),
            };
            i.busy = true;
            // The keys on disk change with a batch or a restored journal only
            // (a session alone is the playhead moving; the hour's keys were
            // listed at every flush).
            if batch.is_some() || i.view.stores.len() != i.journal.stores.len() {
                i.view.stores = Rc::new(
                    model
                        .names
                        .iter()
                        .zip(&i.journal.stores)
                        .map(|(name, s)| {
                            let keys = s
                                .prefixes()
                                .flat_map(|p| {
                                    s.iter_prefix(p).map(move |(k, _)| format!("{p}/{k}"))
                                })
                                .collect();
                            (name.clone(), keys)
                        })
                        .collect(),
                );
            }
            (db, batch, session, new)
        };
        self.publish();
        let me = self.clone();
        spawn_local(async move {
            let result = db::write_batch(&db, batch.as_ref(), session.as_ref(), new).await;
            {
                let mut i = me.inner.borrow_mut();
                i.busy = false;
                match &result {
                    Ok(()) => {
                        i.view.batches += 1;
                        if let Some(b) = batch.as_ref().filter(|_| new.position) {
                            i.texts[1] = Some(b.text.clone());
                        }
                        if let Some(s) = session {
                            if new.session {
                                i.texts[0] = Some(s.text.clone());
                            }
                            i.saved = Some(s);
                        }
                    }
                    Err(_) => {
                        i.failed = true;
                        if let Some(b) = batch {
                            i.journal.put_back(b);
                        }
                    }
                }
            }
            match result {
                Ok(()) => {
                    me.publish();
                    // A journal catching up on a long seek goes on at once,
                    // a slice a task (journal.rs, FOLLOW_STEP).
                    let behind = me.inner.borrow().journal.behind();
                    match behind {
                        true => me.schedule_slice(),
                        false => me.schedule(FLUSH_EVERY_MS),
                    }
                }
                Err(e) => {
                    me.notice(
                        "error",
                        format!(
                            "Saving failed ({}). monscope keeps working from memory, but from now \
                             on the session and the monitors' stores are not saved (reload to try again).",
                            db::describe(&e)
                        ),
                    );
                }
            }
        });
    }

    async fn refresh_scenarios(&self) {
        let Some(db) = self.db() else { return };
        match db::scenarios(&db).await {
            Ok((mine, problems)) => {
                self.inner.borrow_mut().view.mine = mine;
                if !problems.is_empty() {
                    self.notice(
                        "error",
                        format!(
                            "Set aside unreadable saved scenarios (store \"quarantine\"): {}",
                            problems.join("; ")
                        ),
                    );
                }
                self.publish();
            }
            Err(e) => {
                self.notice(
                    "error",
                    format!("My scenarios could not be read: {}", db::describe(&e)),
                );
            }
        }
    }

    /// Save, rename or delete one of my scenarios, then list them again,
    /// once the lazy module is in (src/lazy.rs: only these clicks run it; a
    /// failed load is left to the call, which says so).
    pub fn scenario(self: &Rc<Self>, op: Op) {
        let me = self.clone();
        spawn_local(async move {
            let _ = crate::lazy::load().await;
            me.scenario_now(op);
        });
    }

    /// [`Storage::scenario`], in the lazy module.
    #[inline(never)]
    pub fn scenario_now(self: &Rc<Self>, op: Op) {
        let Some(db) = self.db() else {
            self.notice(
                "error",
                "My scenarios are not available: the browser's storage is not.".into(),
            );
            return;
        };
        let op = match op {
            Op::Save { name, .. } | Op::Rename { new: name, .. } if name.trim().is_empty() => {
                self.notice(
                    "error",
                    "A saved scenario needs a name: type one in the name field.".into(),
                );
                return;
            }
            Op::Save {
                name,
                text,
                replace,
            } => Op::Save {
                name: name.trim().into(),
                text,
                replace,
            },
            Op::Rename { old, new, .. } => {
                let mine = &self.inner.borrow().view.mine;
                let Some((_, text)) = mine.iter().find(|(n, _)| *n == old) else {
                    return;
                };
                Op::Rename {
                    text: text.clone(),
                    new: new.trim().into(),
                    old,
                }
            }
            op => op,
        };
        let me = self.clone();
        spawn_local(async move {
            let (verb, name, taken) = match &op {
                Op::Save { name, .. } => ("saved", name, name),
                Op::Rename { old, new, .. } => ("renamed", old, new),
                Op::Delete { name } => ("deleted", name, name),
            };
            let result = match &op {
                Op::Save {
                    name,
                    text,
                    replace,
                } => db::save_scenario(&db, name, text, *replace).await,
                Op::Rename { old, new, text } => db::rename_scenario(&db, old, new, text).await,
                Op::Delete { name } => db::delete_scenario(&db, name).await,
            };
            if let Err(e) = result {
                let why = if e.name == "ConstraintError" {
                    format!("a scenario named \"{taken}\" exists already")
                } else {
                    e.to_string()
                };
                me.notice("error", format!("\"{name}\" was not {verb}: {why}."));
            }
            me.refresh_scenarios().await;
        });
    }

    /// Import a `.mon` file: load it, and keep it in my scenarios (once the
    /// lazy module is in, as [`Storage::scenario`]).
    pub fn import(self: &Rc<Self>, file: web_sys::File) {
        let me = self.clone();
        spawn_local(async move {
            let _ = crate::lazy::load().await;
            me.import_now(file);
        });
    }

    /// [`Storage::import`], in the lazy module.
    #[inline(never)]
    pub fn import_now(self: &Rc<Self>, file: web_sys::File) {
        let me = self.clone();
        spawn_local(async move {
            match super::mon_file::import(file).await {
                Ok((name, text)) => {
                    me.dispatch.emit(Msg::LoadText(text.clone(), None, None));
                    if me.db().is_some() {
                        me.scenario_now(Op::Save {
                            name,
                            text,
                            replace: true,
                        });
                    }
                }
                Err(e) => {
                    me.notice("error", format!("Import failed: {e}"));
                }
            }
        });
    }
}
