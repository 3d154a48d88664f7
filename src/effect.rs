//! The page's effects, all through one instantiation of yew's effect hook.
//!
//! `use_effect_with(deps, f)` is generic code of its own for each closure
//! and dependency type: the hook's provider, its state's `rendered` (with
//! the closure inlined), the `Rc<dyn Any>` downcast and drop glue, about
//! 300 bytes of the gzipped wasm each. Here the closure is boxed and the
//! dependencies compared through one trait object, so yew's code is linked
//! once and each effect adds only its body and a comparison of its type.

use std::any::Any;
use yew::functional::Hook;
use yew::prelude::*;

/// What an effect leaves to undo before it runs again, or when its
/// component goes.
pub type Teardown = Box<dyn FnOnce()>;

/// Nothing to undo.
pub fn nothing() -> Teardown {
    Box::new(|| ())
}

/// Dependencies that never equal the last ones: the effect runs after
/// every render (yew's `use_effect`).
#[derive(Clone, Copy)]
pub struct EveryRender;

impl PartialEq for EveryRender {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

/// `use_effect_with(deps, f)`: `f` runs after a render whose `deps`
/// differ (`!=`) from the last run's, and after the first.
pub fn use_effect_on<T: PartialEq + 'static>(
    deps: T,
    f: impl FnOnce(&T) -> Teardown + 'static,
) -> impl Hook<Output = ()> {
    let runner: Box<dyn FnOnce(&Deps) -> Teardown> = Box::new(move |d: &Deps| {
        match d.0.as_any().downcast_ref::<T>() {
            Some(deps) => f(deps),
            // Not reached: these are the deps this closure was made with.
            None => nothing(),
        }
    });
    use_effect_with(Deps(Box::new(deps)), runner)
}

/// The dependencies of any effect, compared by `==` as yew compares them.
pub struct Deps(Box<dyn AnyEq>);

trait AnyEq {
    fn as_any(&self) -> &dyn Any;
    fn eq_any(&self, other: &dyn Any) -> bool;
}

impl<T: PartialEq + 'static> AnyEq for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn eq_any(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<T>().is_some_and(|o| o == self)
    }
}

impl PartialEq for Deps {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_any(other.0.as_any())
    }
}
