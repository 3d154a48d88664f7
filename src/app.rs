//! The page: pick a built-in scenario, run it in wasm, show its final state and
//! the trace digest.

use monscope_core::scenario::{self, library::BUILTIN};
use monscope_core::sim;
use yew::prelude::*;

/// What one run of a scenario produced, or why it could not run.
#[derive(Clone, PartialEq)]
enum Outcome {
    Ran {
        summary: String,
        digest: String,
        passed: usize,
        failed: usize,
    },
    Invalid(String),
}

fn run_builtin(index: usize) -> Outcome {
    let Some((_, text)) = BUILTIN.get(index) else {
        return Outcome::Invalid(format!("no built-in scenario number {index}"));
    };
    match scenario::parse(text) {
        Ok(scenario) => {
            let run = sim::run(&scenario);
            let (passed, failed) = run.expect_counts();
            Outcome::Ran {
                summary: run.summary(),
                digest: run.digest(),
                passed,
                failed,
            }
        }
        Err(err) => Outcome::Invalid(err.to_string()),
    }
}

fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// `?scenario=STEM` picks the scenario shown first; otherwise the first one.
fn initial_index() -> usize {
    query()
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.strip_prefix("scenario="))
        .find_map(|stem| BUILTIN.iter().position(|(s, _)| *s == stem))
        .unwrap_or(0)
}

#[function_component(App)]
fn app() -> Html {
    // `?debug-panic` panics on purpose: the end-to-end tests check that a panic
    // shows the error panel instead of a blank page.
    if query().contains("debug-panic") {
        panic!("debug-panic was asked for in the URL");
    }
    let selected = use_state(initial_index);
    let outcome = use_memo(*selected, |index| run_builtin(*index));

    if BUILTIN.is_empty() {
        return html! {
            <main>
                <h1>{ "monscope" }</h1>
                <p class="error">{ "This build has no built-in scenarios." }</p>
            </main>
        };
    }

    let items = BUILTIN.iter().enumerate().map(|(index, (stem, _))| {
        let class = classes!("scenario", (*selected == index).then_some("selected"));
        let selected = selected.clone();
        let onclick = Callback::from(move |_| selected.set(index));
        html! {
            <li><button {class} {onclick} data-stem={*stem}>{ *stem }</button></li>
        }
    });

    let (stem, _) = BUILTIN[(*selected).min(BUILTIN.len() - 1)];
    let body = match &*outcome {
        Outcome::Ran {
            summary,
            digest,
            passed,
            failed,
        } => html! {
            <>
                <h2>{ format!("Final state of {stem}") }</h2>
                <pre id="final-state">{ summary }</pre>
                <p id="expectations" class={ if *failed == 0 { "ok" } else { "bad" } }>
                    { format!("expectations: {passed} passed, {failed} failed") }
                </p>
                <p id="digest">{ "trace digest: " }<code>{ digest }</code></p>
            </>
        },
        Outcome::Invalid(message) => html! {
            <>
                <h2>{ format!("{stem} does not parse") }</h2>
                <pre id="scenario-error" class="error">{ message }</pre>
            </>
        },
    };

    html! {
        <main>
            <header>
                <h1>{ "monscope" }</h1>
                <p class="tagline">{ "Ceph's monitor cluster, simulated in your browser." }</p>
            </header>
            <div class="layout">
                <nav aria-label="built-in scenarios">
                    <h2>{ "Scenarios" }</h2>
                    <ul id="scenarios">{ for items }</ul>
                </nav>
                <section id="result">{ body }</section>
            </div>
        </main>
    }
}

pub fn start() {
    let document = gloo::utils::document();
    let root = document
        .get_element_by_id("app")
        .expect("www/index.html has a <div id=\"app\">");
    root.set_text_content(None); // drop the "loading" text
    yew::Renderer::<App>::with_root(root).render();
}
