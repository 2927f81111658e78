/** Training mode's entry points for the app shell (App.tsx). */
export { TrainingLibrary, TrainingLink, TrainingStartList } from './TrainingLibrary.tsx';
export { TrainingBar } from './TrainingBar.tsx';
export { useTrainingRoute } from './hooks.ts';
